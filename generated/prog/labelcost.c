/* Tangled from chapters/01-intro.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* labelcost: the human cost of labelling, chapter 1. */
#include "pt_base.h"
#include <stdlib.h>
/* <Set the assumptions of labelcost> */
static double seconds_per_label = 5, wage = 15, hours_per_year = 2000;
static double words_per_minute = 40, words_per_token = 0.75;
static const pt_option options[] = {
    {"seconds-per-label", PT_REAL, &seconds_per_label, "S", "seconds to give one image a class"},
    {"wage", PT_REAL, &wage, "USD", "wage per hour, in dollars"},
    {"hours-per-year", PT_REAL, &hours_per_year, "H", "working hours in a person-year"},
    {"words-per-minute", PT_REAL, &words_per_minute, "W", "speed of a writer"},
    {"words-per-token", PT_REAL, &words_per_token, "R", "words per token of text"},
    {0},
};
static const pt_program program = {
    "labelcost", "Compute the human cost of labelling some well-known data sets", NULL, options,
    "Counts: ImageNet (Russakovsky et al. 2015), COCO (Lin et al. 2014: 22 worker-hours\n"
    "per 1000 segmentations), GPT-3 (Brown et al. 2020: 300e9 tokens).",
    NULL,   /* results go to the default, out/data/labelcost */
};
/* <Compute and record one row of the labelling-cost table> */
static void row(pt_results *r, const char *task, double items, double seconds)
{
    char k[128];
    double hours = items * seconds / 3600;
    snprintf(k, sizeof k, "%s.items", task);        pt_results_real(r, k, items);
    snprintf(k, sizeof k, "%s.items_millions", task); pt_results_real(r, k, items / 1e6);
    snprintf(k, sizeof k, "%s.hours", task);        pt_results_real(r, k, hours);
    snprintf(k, sizeof k, "%s.khours", task);       pt_results_real(r, k, hours / 1e3);
    snprintf(k, sizeof k, "%s.person_years", task); pt_results_real(r, k, hours / hours_per_year);
    snprintf(k, sizeof k, "%s.cost", task);         pt_results_real(r, k, hours * wage);
    snprintf(k, sizeof k, "%s.cost_millions", task); pt_results_real(r, k, hours * wage / 1e6);
    printf("%-12s %14.0f items %14.4g hours %12.4g person-years %14.4g USD\n",
           task, items, hours, hours / hours_per_year, hours * wage);
}
int main(int argc, char **argv)
{
    /* <Parse the command line of labelcost> */
    pt_common common;
    if (pt_parse(argc, argv, &program, &common) != argc)
        pt_usage_error(&program, "unexpected argument '%s'", argv[argc - 1]);
    if (seconds_per_label <= 0 || wage < 0 || hours_per_year <= 0 ||
        words_per_minute <= 0 || words_per_token <= 0)
        pt_usage_error(&program, "the assumptions must be positive");
    pt_announce(&program, &common);
    pt_results *r = pt_results_new();
    /* <Compute every row of the labelling-cost table> */
    row(r, "imagenet1k", 1281167, seconds_per_label);
    row(r, "imagenet21k", 14197122, seconds_per_label);
    row(r, "coco", 2500000, 22.0 * 3600 / 1000);
    row(r, "gpt3", 300e9, 60 * words_per_token / words_per_minute);
    pt_results_real(r, "assume.seconds_per_label", seconds_per_label);
    pt_results_real(r, "assume.wage_per_hour", wage);
    pt_results_real(r, "assume.hours_per_year", hours_per_year);
    pt_results_real(r, "assume.words_per_minute", words_per_minute);
    pt_results_real(r, "assume.words_per_token", words_per_token);
    if (pt_results_write(r, common.out) != 0)
        pt_die(&program);
    pt_results_free(r);
    return 0;
}
