/* The Check runner: every chapter's suite, one summary. */
#include <check.h>
#include <stdlib.h>

Suite *base_suite(void);
Suite *data_suite(void);
Suite *pca_suite(void);
Suite *nn_suite(void);
Suite *adapt_suite(void);
Suite *simclr_suite(void);
Suite *lm_suite(void);
Suite *transformer_suite(void);
Suite *generate_suite(void);

int main(void)
{
    SRunner *sr = srunner_create(base_suite());
    srunner_add_suite(sr, data_suite());
    srunner_add_suite(sr, pca_suite());
    srunner_add_suite(sr, nn_suite());
    srunner_add_suite(sr, adapt_suite());
    srunner_add_suite(sr, simclr_suite());
    srunner_add_suite(sr, lm_suite());
    srunner_add_suite(sr, transformer_suite());
    srunner_add_suite(sr, generate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
