/* Tangled from chapters/90-build.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* nwpandoc: the weave back end of the book. */
/* <Include the headers of nwpandoc> */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
/* <Define str, a string that grows> */
typedef struct { char *s; size_t n, cap; } str;
static void sput(str *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = 2 * (b->n + n + 1) + 64;
        b->s = realloc(b->s, b->cap);
        if (!b->s) { perror("nwpandoc"); exit(1); }
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}
static void sputs(str *b, const char *s) { sput(b, s, strlen(s)); }
/* <Append formatted text to a str, and copy strings safely> */
static void sprintf_(str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sprintf_(str *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *tmp = malloc((size_t)n + 1);
    if (!tmp) { perror("nwpandoc"); exit(1); }
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sput(b, tmp, (size_t)n);
    free(tmp);
}
static char *xstrdup(const char *s) { char *t = strdup(s); if (!t) { perror("nwpandoc"); exit(1); } return t; }
/* <Keep the options, and report errors at a chapter line> */
static int html;                 /* 1: HTML edition, 0: LaTeX edition */
static const char *datadir = "out/data", *figdir = "out/figures";
static int errors;

static void fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    errors++;
}
/* <Define table, a hash table from names to integers> */
typedef struct { char **key; int *val; size_t cap, n; } table;
static size_t hash(const char *s) { size_t h = 1469598103934665603u; while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211u; return h; }
static int *tslot(table *t, const char *k, int create)
{
    if (create && 2 * (t->n + 1) > t->cap) {
        /* <Double the size of the table, inserting every key again> */
        table u = {0};
        u.cap = t->cap ? 2 * t->cap : 256;
        u.key = calloc(u.cap, sizeof *u.key);
        u.val = calloc(u.cap, sizeof *u.val);
        for (size_t i = 0; i < t->cap; i++)
            if (t->key[i]) *tslot(&u, t->key[i], 1) = t->val[i];
        free(t->key); free(t->val);
        *t = u;
    }
    if (!t->cap) return NULL;
    size_t i = hash(k) & (t->cap - 1);
    /* <Probe for the key from its hash, and add it if asked to> */
    while (t->key[i] && strcmp(t->key[i], k) != 0)
        i = (i + 1) & (t->cap - 1);
    if (!t->key[i]) {
        if (!create) return NULL;
        t->key[i] = xstrdup(k);
        t->val[i] = -1;
        t->n++;
    }
    return &t->val[i];
}
static int tget(table *t, const char *k) { int *v = tslot(t, k, 0); return v ? *v : -1; }
static void tset(table *t, const char *k, int v) { *tslot(t, k, 1) = v; }
/* <Define the records of the web: tokens, chapters, chunks, targets> */
typedef struct { char *kw, *arg; int file, line; } tok;   /* "@text", "hello" */
static tok *toks; static int ntoks;

typedef struct { char *path, *slug, *number, *title; int appendix, nchunks, nfig, neq, nsec, nsub; } chapter;
static chapter chaps[64]; static int nchaps;

typedef struct { int chap, num; char *name; int cont; } chunk;  /* cont: a continuation */
static chunk *chunks; static int nchunks;
static table labels;     /* noweb label -> chunk index */

typedef struct { char *id, *text, *number; int chap, level; } target;  /* ch, sec, fig, eq */
static target *targets; static int ntargets;
static table ids;        /* "sec:x" -> target index */
/* <Read the pipeline into toks> */
static void read_pipeline(FILE *in, const char *appendix_from)
{
    char *line = NULL; size_t cap = 0; ssize_t len;
    int cap_t = 0, file = -1, lineno = 1, appendix = 0;
    while ((len = getline(&line, &cap, in)) > 0) {
        if (line[len - 1] == '\n') line[--len] = '\0';
        if (ntoks == cap_t) { cap_t = cap_t ? 2 * cap_t : 4096; toks = realloc(toks, (size_t)cap_t * sizeof *toks); }
        char *sp = strchr(line, ' ');
        tok t = { .file = file, .line = lineno };
        if (sp) { *sp = '\0'; t.arg = xstrdup(sp + 1); } else t.arg = xstrdup("");
        t.kw = xstrdup(line);
        /* <Start a chapter at a file token, or count a line at a newline> */
        if (strcmp(t.kw, "@file") == 0) {
            chapter *c = &chaps[nchaps];
            if (nchaps == 64) { fprintf(stderr, "nwpandoc: too many chapters\n"); exit(1); }
            c->path = xstrdup(t.arg);
            const char *b = strrchr(t.arg, '/');
            c->slug = xstrdup(b ? b + 1 : t.arg);
            char *dot = strrchr(c->slug, '.'); if (dot) *dot = '\0';
            if (appendix_from && strcmp(t.arg, appendix_from) == 0) appendix = 1;
            c->appendix = appendix;
            file = t.file = nchaps++;
            lineno = 1;
        } else if (strcmp(t.kw, "@nl") == 0)
            lineno++;
        toks[ntoks++] = t;
    }
    free(line);
    /* number the chapters: 1, 2, ... then A, B, ... */
    int main_n = 0, app_n = 0;
    /* <Number the chapters 1, 2, 3 and the appendices A, B, C> */
    for (int i = 0; i < nchaps; i++) {
        char b[16];
        if (chaps[i].appendix) snprintf(b, sizeof b, "%c", 'A' + app_n++);
        else snprintf(b, sizeof b, "%d", ++main_n);
        chaps[i].number = xstrdup(b);
    }
}
/* <Escape code for HTML> */
static void esc_html(str *o, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&': sputs(o, "&amp;"); break;
        case '<': sputs(o, "&lt;"); break;
        case '>': sputs(o, "&gt;"); break;
        case '"': sputs(o, "&quot;"); break;
        case '`': sputs(o, "&#96;"); break;
        default: sput(o, s, 1);
        }
}
/* <Escape code for LaTeX> */
static void esc_latex(str *o, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '\\': sputs(o, "\\textbackslash{}"); break;
        case '{': case '}': case '$': case '&': case '#': case '_': case '%':
            sput(o, "\\", 1); sput(o, s, 1); break;
        case '^': sputs(o, "\\textasciicircum{}"); break;
        case '~': sputs(o, "\\textasciitilde{}"); break;
        case '<': sputs(o, "\\textless{}"); break;
        case '>': sputs(o, "\\textgreater{}"); break;
        case '\'': sputs(o, "\\textquotesingle{}"); break;
        case '`': sputs(o, "\\textasciigrave{}"); break;
        case '"': sputs(o, "\\textquotedbl{}"); break;
        case '-': sputs(o, "-{}"); break;
        case ' ': sputs(o, "\\ "); break;
        case '\t': sputs(o, "\\ \\ \\ \\ \\ \\ \\ \\ "); break;
        default: sput(o, s, 1);
        }
}
static void esc(str *o, const char *s) { if (html) esc_html(o, s); else esc_latex(o, s); }
/* <Write a chunk name, with quoted code set as code> */
/* A chunk name, with [[quoted code]] set as code. */
static void chunk_name(str *o, const char *name)
{
    const char *p = name;
    while (*p) {
        const char *q = strstr(p, "[["), *e = q ? strstr(q + 2, "]]") : NULL;
        if (!q || !e) { esc(o, p); return; }
        char *pre = strndup(p, (size_t)(q - p)), *code = strndup(q + 2, (size_t)(e - q - 2));
        esc(o, pre);
        sputs(o, html ? "<code>" : "\\texttt{"); esc(o, code); sputs(o, html ? "</code>" : "}");
        free(pre); free(code);
        p = e + 2;
    }
}
/* <Write a link to a chunk, by its number> */
/* A link to a chunk label: "3.4", to the right page. */
static void chunk_link(str *o, const char *label, int from_chap)
{
    int c = tget(&labels, label);
    if (c < 0) { sputs(o, "?"); return; }
    if (html) {
        if (chunks[c].chap == from_chap) sprintf_(o, "<a href=\"#%s\">", label);
        else sprintf_(o, "<a href=\"%s.html#%s\">", chaps[chunks[c].chap].slug, label);
        sprintf_(o, "%s.%d</a>", chaps[chunks[c].chap].number, chunks[c].num);
    } else
        sprintf_(o, "\\hyperlink{%s}{%s.%d}", label, chaps[chunks[c].chap].number, chunks[c].num);
}
/* <Open and close a link to a chunk around other text> */
static void open_link(str *o, const char *label, int from_chap)
{
    int c = tget(&labels, label);
    if (html) {
        if (c < 0 || chunks[c].chap == from_chap) sprintf_(o, "<a href=\"#%s\">", label);
        else sprintf_(o, "<a href=\"%s.html#%s\">", chaps[chunks[c].chap].slug, label);
    } else
        sprintf_(o, "\\hyperlink{%s}{", label);
}
static void close_link(str *o) { sputs(o, html ? "</a>" : "}"); }
/* <Number the code chunks of each chapter> */
static void number_chunks(void)
{
    int cap = 0;
    for (int i = 0; i < ntoks; i++) {
        if (strcmp(toks[i].kw, "@begin") != 0 || strncmp(toks[i].arg, "code", 4) != 0) continue;
        if (nchunks == cap) { cap = cap ? 2 * cap : 256; chunks = realloc(chunks, (size_t)cap * sizeof *chunks); }
        chunk *k = &chunks[nchunks];
        k->chap = toks[i].file;
        k->num = ++chaps[k->chap].nchunks;
        k->cont = 0;
        k->name = NULL;
        /* <Read the chunk's header: its label, its name, whether it continues> */
        for (int j = i + 1; j < ntoks && strcmp(toks[j].kw, "@end") != 0; j++) {
            if (strcmp(toks[j].kw, "@xref") == 0 && strncmp(toks[j].arg, "label ", 6) == 0 && !k->name)
                tset(&labels, toks[j].arg + 6, nchunks);
            else if (strcmp(toks[j].kw, "@defn") == 0) k->name = toks[j].arg;
            else if (strcmp(toks[j].kw, "@xref") == 0 && strncmp(toks[j].arg, "prevdef ", 8) == 0) k->cont = 1;
            else if (strcmp(toks[j].kw, "@nl") == 0) break;
        }
        nchunks++;
    }
}
/* <Render a code chunk> */
static int render_code(str *o, int i)
{
    int chap = toks[i].file, c = -1;
    const char *label = NULL, *name = NULL, *prevdef = NULL, *nextdef = NULL;
    int notused = 0;
    str uses = {0}, defs = {0}, iduses = {0};
    int nuses = 0, ndefs = 0, niduses = 0, last_used = -1;
    const char *pending = NULL;     /* the label an @index isused/isdefined points to */
    str used_in = {0}; int nused_in = 0;
    int j, body = -1;
    /* <Collect what the pipeline says about the chunk> */
    /* collect what is said about the chunk */
    for (j = i + 1; strcmp(toks[j].kw, "@end") != 0; j++) {
        const char *kw = toks[j].kw, *a = toks[j].arg;
        if (strcmp(kw, "@defn") == 0) { name = a; }
        else if (strcmp(kw, "@nl") == 0 && body < 0 && name) body = j + 1;
        else if (strcmp(kw, "@xref") == 0 && body < 0) {
            if (!strncmp(a, "label ", 6) && !label) { label = a + 6; c = tget(&labels, label); }
            else if (!strncmp(a, "prevdef ", 8)) prevdef = a + 8;
            else if (!strncmp(a, "nextdef ", 8)) nextdef = a + 8;
            else if (!strncmp(a, "notused ", 8)) notused = 1;
            else if (!strncmp(a, "useitem ", 8)) { if (nuses++) sputs(&uses, ", "); chunk_link(&uses, a + 8, chap); }
        } else if (strcmp(kw, "@index") == 0) {
            /* <Collect the identifiers the chunk defines and uses> */
            if (!strncmp(a, "isused ", 7)) {
                int u = tget(&labels, a + 7);        /* not the chunk itself, nor a repeat */
                if (u != c && u != last_used) {
                    last_used = u;
                    if (nused_in++) sputs(&used_in, ", ");
                    chunk_link(&used_in, a + 7, chap);
                }
            } else if (!strncmp(a, "defitem ", 8)) {
                /* <Add a defined identifier to defs, with the chunks that use it> */
                if (ndefs++) sputs(&defs, "; ");
                sputs(&defs, html ? "<code>" : "\\texttt{"); esc(&defs, a + 8); sputs(&defs, html ? "</code>" : "}");
                if (nused_in) { sputs(&defs, ", used in "); sputs(&defs, used_in.s); }
                else sputs(&defs, ", not used elsewhere");
                used_in.n = 0; if (used_in.s) used_in.s[0] = '\0'; nused_in = 0; last_used = -1;
            } else if (!strncmp(a, "isdefined ", 10)) pending = a + 10;
            else if (!strncmp(a, "useitem ", 8)) {
                /* <Add a used identifier to iduses, linked to its definition> */
                if (niduses++) sputs(&iduses, ", ");
                sputs(&iduses, html ? "<code>" : "\\texttt{"); esc(&iduses, a + 8); sputs(&iduses, html ? "</code>" : "}");
                if (pending) { sputs(&iduses, " "); chunk_link(&iduses, pending, chap); }
                pending = NULL;
            }
        }
    }
    int end = j;
    if (!label || c < 0) { fail(chaps[chap].path, toks[i].line, "code chunk without a label"); return end; }
    const char *op = chunks[c].cont ? "+\u2261" : "\u2261";
    /* <Write the header of the chunk: its name, number and operator> */
    /* the header */
    if (html) {
        sprintf_(o, "\n````````{=html}\n<div class=\"nwchunk\" id=\"%s\"><div class=\"nwhead\">\u27e8<span class=\"nwname\">", label);
        chunk_name(o, name);
        sprintf_(o, "</span> <a class=\"nwnum\" href=\"#%s\">%s.%d</a>\u27e9<span class=\"nwop\">%s</span></div>\n<pre class=\"nwcode\"><code>",
                 label, chaps[chap].number, chunks[c].num, op);
    } else {
        sprintf_(o, "\n````````{=latex}\n\\begin{nwchunk}\\nwhead{%s}{", label);
        chunk_name(o, name);
        sprintf_(o, "}{%s.%d}{%s}\n\\nwline{", chaps[chap].number, chunks[c].num, chunks[c].cont ? "\\mathrel{+}\\equiv" : "\\equiv");
    }
    /* the body, a line at a time: @nl ends a line */
    const char *ref = NULL, *idlink = NULL;
    str line = {0};
    int nlines = 0;
    sputs(&line, "");
    /* <Write the body of the chunk, a line at a time> */
    for (j = body; j < end; j++) {
        const char *kw = toks[j].kw, *a = toks[j].arg;
        if (strcmp(kw, "@text") == 0) {
            if (idlink && tget(&labels, idlink) != c) { open_link(&line, idlink, chap); esc(&line, a); close_link(&line); }
            else esc(&line, a);              /* an identifier defined right here needs no link */
            idlink = NULL;
        } else if (strcmp(kw, "@nl") == 0) {
            if (nlines++) sputs(o, html ? "\n" : "}\n\\nwline{");
            sputs(o, line.s);
            line.n = 0; line.s[0] = '\0';
        } else if (strcmp(kw, "@xref") == 0 && !strncmp(a, "ref ", 4)) ref = a + 4;
        else if (strcmp(kw, "@index") == 0 && !strncmp(a, "use ", 4)) idlink = ref;
        else if (strcmp(kw, "@use") == 0) {
            /* <Write a use of another chunk, with a link to it> */
            sputs(&line, html ? "<span class=\"nwuse\">\u27e8" : "\\nwuse{");
            chunk_name(&line, a);
            sputs(&line, html ? " " : "}{");
            if (ref && tget(&labels, ref) >= 0) chunk_link(&line, ref, chap);
            else fail(chaps[chap].path, toks[j].line, "chunk <<%s>> is used but never defined", a);
            sputs(&line, html ? "\u27e9</span>" : "}");
        }
    }
    if (line.n) { if (nlines++) sputs(o, html ? "\n" : "}\n\\nwline{"); sputs(o, line.s); }
    free(line.s);
    /* <Write the cross-reference line of the chunk> */
    /* the footer */
    str info = {0};
    sputs(&info, "");
    if (notused) {
        if (!strncmp(name, "generated/", 10)) { sputs(&info, html ? "Written to <code>" : "Written to \\texttt{"); esc(&info, name); sputs(&info, html ? "</code>. " : "}. "); }
        else sputs(&info, "Root chunk, not used. ");
    }
    if (prevdef) { sputs(&info, "Continues "); chunk_link(&info, prevdef, chap); sputs(&info, ". "); }
    if (nuses) { sputs(&info, "Used in "); sputs(&info, uses.s); sputs(&info, ". "); }
    if (nextdef) { sputs(&info, "Continued in "); chunk_link(&info, nextdef, chap); sputs(&info, ". "); }
    if (ndefs) { sputs(&info, "Defines "); sputs(&info, defs.s); sputs(&info, ". "); }
    if (niduses) { sputs(&info, "Uses "); sputs(&info, iduses.s); sputs(&info, "."); }
    if (html) { sputs(o, "</code></pre>\n<div class=\"nwinfo\">"); sputs(o, info.s); sputs(o, "</div></div>\n````````\n\n"); }
    else { sputs(o, "}\n\\nwinfo{"); sputs(o, info.s); sputs(o, "}\n\\end{nwchunk}\n````````\n\n"); }
    free(info.s); free(uses.s); free(defs.s); free(iduses.s); free(used_in.s);
    return end;
}
/* <Define lines, the lines of a documentation chunk> */
typedef struct { char **s; int *line; int n, cap; } lines;
static void lines_add(lines *L, const char *s, int line)
{
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 64;
        L->s = realloc(L->s, (size_t)L->cap * sizeof *L->s);
        L->line = realloc(L->line, (size_t)L->cap * sizeof *L->line);
    }
    L->s[L->n] = xstrdup(s); L->line[L->n++] = line;
}
/* <Gather the lines of a documentation chunk> */
/* Gather a documentation chunk's lines; [[quoted code]] becomes raw code when raw is set. */
static int gather_docs(int i, lines *L, int raw)
{
    int chap = toks[i].file, j, quote = 0;
    const char *ref = NULL, *idlink = NULL;
    str line = {0}, q = {0};
    sputs(&line, "");
    int startline = toks[i].line;
    for (j = i + 1; strcmp(toks[j].kw, "@end") != 0; j++) {
        const char *kw = toks[j].kw, *a = toks[j].arg;
        str *o = quote ? &q : &line;
        /* <Add token j to the current line or quote> */
        if (!strcmp(kw, "@text")) {
            if (quote && raw) {
                if (idlink) { open_link(o, idlink, chap); esc(o, a); close_link(o); idlink = NULL; }
                else esc(o, a);
            } else sputs(o, a);
        } else if (!strcmp(kw, "@nl")) {
            if (quote) { sputs(&q, " "); continue; }
            lines_add(L, line.s, startline);
            line.n = 0; line.s[0] = '\0';
            startline = toks[j].line + 1;
        } else if (!strcmp(kw, "@quote")) {
            quote = 1; q.n = 0; sputs(&q, "");
        } else if (!strcmp(kw, "@endquote")) {
            /* <Close the quote as a raw code span> */
            quote = 0;
            if (raw) {
                sputs(&line, html ? "`<code>" : "`\\texttt{");
                sputs(&line, q.s);
                sputs(&line, html ? "</code>`{=html}" : "}`{=latex}");
            } else sputs(&line, q.s);
        } else if (!strcmp(kw, "@xref") && !strncmp(a, "ref ", 4)) ref = a + 4;
        else if (!strcmp(kw, "@index") && !strncmp(a, "use ", 4)) idlink = ref;
    }
    if (line.n) lines_add(L, line.s, startline);
    free(line.s); free(q.s);
    return j;
}
/* <Free the lines of a documentation chunk> */
static void lines_free(lines *L)
{
    for (int k = 0; k < L->n; k++) free(L->s[k]);
    free(L->s); free(L->line);
    memset(L, 0, sizeof *L);
}
/* <Record a target of a cross-reference> */
static int add_target(const char *id, const char *number, const char *text, int chap, int level, const char *file, int line)
{
    int t = tget(&ids, id);
    if (t >= 0) {
        if (targets[t].chap != chap || strcmp(targets[t].number, number) != 0)
            fail(file, line, "label {#%s} is used twice", id);
        return t;
    }
    static int cap;
    if (ntargets == cap) { cap = cap ? 2 * cap : 256; targets = realloc(targets, (size_t)cap * sizeof *targets); }
    targets[ntargets] = (target){ xstrdup(id), xstrdup(text), xstrdup(number), chap, level };
    tset(&ids, id, ntargets);
    return ntargets++;
}
/* <Parse the attribute block at the end of a line> */
/* Parse "{#id .class key=val}" at the end of s; returns a pointer to the '{' or NULL. */
static char *attr_block(char *s, char *id, size_t idn, int *unnumbered)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (!n || s[n - 1] != '}') return NULL;
    char *open = NULL;
    for (char *p = s + n - 1; p >= s; p--) if (*p == '{') { open = p; break; }
    if (!open || (open[1] != '#' && open[1] != '.' && open[1] != '-')) return NULL;
    id[0] = '\0';
    if (unnumbered) *unnumbered = 0;
    char *p = open + 1;
    /* <Read each attribute: the id, and the marks of an unnumbered heading> */
    while (p < s + n - 1) {
        while (*p == ' ') p++;
        size_t k = strcspn(p, " }");
        if (*p == '#' && k - 1 < idn) { memcpy(id, p + 1, k - 1); id[k - 1] = '\0'; }
        if (unnumbered && ((k == 1 && *p == '-') || (k == 11 && !strncmp(p, ".unnumbered", 11)))) *unnumbered = 1;
        p += k;
        if (!k) break;
    }
    return open;
}
/* <Look up a result of an experiment> */
static table results, loaded;
static char **values; static int nvalues, capvalues;
static const char *result(const char *exp, const char *key, const char *file, int line)
{
    char k[512];
    if (tget(&loaded, exp) == 0)
        return "??";                 /* its file is missing: reported once already */
    /* <Read the experiment's results the first time they are asked for> */
    if (tget(&loaded, exp) < 0) {
        char path[1024]; char *l = NULL; size_t cap = 0; ssize_t n;
        snprintf(path, sizeof path, "%s/%s/results.tsv", datadir, exp);
        FILE *f = fopen(path, "r");
        tset(&loaded, exp, f != NULL);
        if (!f) { fail(file, line, "{{%s:%s}}: cannot read %s (has the experiment run?)", exp, key, path); return "??"; }
        /* <Store each line, key and value, under exp:key> */
        while ((n = getline(&l, &cap, f)) > 0) {
            if (l[n - 1] == '\n') l[--n] = '\0';
            char *tab = strchr(l, '\t');
            if (!tab) continue;
            *tab = '\0';
            snprintf(k, sizeof k, "%s:%s", exp, l);
            if (nvalues == capvalues) { capvalues = capvalues ? 2 * capvalues : 256; values = realloc(values, (size_t)capvalues * sizeof *values); }
            values[nvalues] = xstrdup(tab + 1);
            tset(&results, k, nvalues++);
        }
        free(l); fclose(f);
    }
    snprintf(k, sizeof k, "%s:%s", exp, key);
    int v = tget(&results, k);
    if (v < 0) { fail(file, line, "{{%s:%s}}: no key '%s' in %s/%s/results.tsv", exp, key, key, datadir, exp); return "??"; }
    return values[v];
}
/* <Name the kind of a target> */
static const char *kind_word(const char *id, int chap)
{
    if (!strncmp(id, "ch:", 3)) return chaps[chap].appendix ? "Appendix" : "Chapter";
    if (!strncmp(id, "sec:", 4)) return "Section";
    if (!strncmp(id, "fig:", 4)) return "Figure";
    if (!strncmp(id, "tbl:", 4)) return "Table";
    return "";
}
/* <Rewrite results and cross-references in a line of prose> */
/* Replace {{exp:key|fmt}} and @sec:id references in one line of prose. */
static void inline_transform(str *o, const char *s, int chap, int line)
{
    const char *file = chaps[chap].path, *start = s;
    while (*s) {
        /* <Copy a code span untouched> */
        if (*s == '`') {                      /* copy a code span untouched */
            size_t k = strspn(s, "`");
            const char *e = s + k;
            for (;;) {
                e = strchr(e, '`');
                if (!e) break;
                size_t m = strspn(e, "`");
                if (m == k) break;
                e += m;
            }
            if (!e) { sputs(o, s); return; }
            sput(o, s, (size_t)(e + k - s));
            s = e + k;
        }
        /* <Or else replace a result by its value> */
        else if (s[0] == '{' && s[1] == '{' && s[2 + strspn(s + 2, "abcdefghijklmnopqrstuvwxyz0123456789_")] == ':') {
            const char *e = strstr(s, "}}");
            char spec[256], fmt[32] = "";
            if (!e || e - s - 2 >= (long)sizeof spec) { fail(file, line, "unterminated {{"); sputs(o, s); return; }
            memcpy(spec, s + 2, (size_t)(e - s - 2)); spec[e - s - 2] = '\0';
            char *bar = strchr(spec, '|'), *colon = strchr(spec, ':');
            if (bar) { *bar = '\0'; snprintf(fmt, sizeof fmt, "%s", bar + 1); }
            if (!colon) fail(file, line, "{{%s}}: write {{experiment:key}}", spec);
            else {
                *colon = '\0';
                const char *v = result(spec, colon + 1, file, line);
                if (fmt[0]) {
                    char *end; double d = strtod(v, &end);
                    size_t f = fmt[0] == '%' ? 1 + strspn(fmt + 1, "0123456789.+- ") : 0;
                    if (!f || !strchr("fgeE", fmt[f]) || fmt[f + 1]) fail(file, line, "{{%s:%s|%s}}: the format must be one of %%f, %%g, %%e with a width or precision", spec, colon + 1, fmt);
                    else if (*end || end == v) fail(file, line, "{{%s:%s}}: '%s' is not a number", spec, colon + 1, v);
                    else { char b[128]; snprintf(b, sizeof b, fmt, d); sputs(o, b); }
                } else sputs(o, v);
            }
            s = e + 2;
        }
        /* <Or else replace a cross-reference by its number and a link> */
        else if (*s == '@' && (s == start || !isalnum((unsigned char)s[-1])) &&
                   (!strncmp(s + 1, "ch:", 3) || !strncmp(s + 1, "sec:", 4) || !strncmp(s + 1, "fig:", 4) ||
                    !strncmp(s + 1, "eq:", 3) || !strncmp(s + 1, "tbl:", 4))) {
            char id[256]; size_t k = 1;
            while (s[k] && (isalnum((unsigned char)s[k]) || strchr(":-_", s[k]))) k++;
            while (k > 1 && strchr(":-_", s[k - 1])) k--;   /* trailing punctuation is prose */
            snprintf(id, sizeof id, "%.*s", (int)(k - 1), s + 1);
            int t = tget(&ids, id);
            if (t < 0) { fail(file, line, "@%s: no such label", id); sputs(o, "??"); s += k; continue; }
            target *g = &targets[t];
            char text[128];
            /* <Write the reference to target g> */
            if (!strncmp(id, "eq:", 3)) snprintf(text, sizeof text, "(%s)", g->number);
            else snprintf(text, sizeof text, "%s%s%s", kind_word(id, g->chap), html ? " " : "~", g->number);
            if (html) {
                if (g->chap == chap) sprintf_(o, "[%s](#%s)", text, id);
                else sprintf_(o, "[%s](%s.html#%s)", text, chaps[g->chap].slug, id);
            } else sprintf_(o, "`\\hyperref[%s]{%s}`{=latex}", id, text);
            s += k;
        }
        else
            sput(o, s++, 1);
    }
}
/* <Check that both files of a figure exist> */
static void fig_exists(const char *name, int chap, int line)
{
    const char *ext[2] = {"svg", "pdf"};
    for (int k = 0; k < 2; k++) {
        char path[1024]; struct stat st;
        snprintf(path, sizeof path, "%s/%s.%s", figdir, name, ext[k]);
        if (stat(path, &st) != 0) fail(chaps[chap].path, line, "figure %s is missing (no %s)", name, path);
    }
}
/* <Number and write the prose of a chapter> */
typedef struct { int fence, math, eqline; char eqid[128]; } prose_state;

/* Pass 1 (o == NULL) numbers and records targets; pass 2 writes Markdown. */
static void prose(str *o, lines *L, int chap, prose_state *ps)
{
    chapter *c = &chaps[chap];
    for (int k = 0; k < L->n; k++) {
        char *s = L->s[k], id[128];
        int line = L->line[k], unnumbered;
        /* <Copy a fenced code block untouched> */
        if (!strncmp(s, "```", 3) || !strncmp(s, "~~~", 3)) ps->fence = !ps->fence;
        if (ps->fence || !strncmp(s, "```", 3) || !strncmp(s, "~~~", 3)) { if (o) sprintf_(o, "%s\n", s); continue; }
        /* <Inside a display, rewrite its lines and close it with its number> */
        if (ps->math) {                                   /* inside $$ ... $$ */
            if (!strncmp(s, "$$", 2)) {
                ps->math = 0;
                if (o) {
                    if (ps->eqid[0]) {
                        target *g = &targets[tget(&ids, ps->eqid)];
                        if (html) sprintf_(o, "\\tag{%s}$$\n", g->number);
                        else sprintf_(o, "\\tag{%s}\\label{%s}$$\n", g->number, ps->eqid);
                    } else sputs(o, "$$\n");
                }
            } else if (o) { inline_transform(o, s, chap, line); sputs(o, "\n"); }
            continue;
        }
        /* <Open a display, numbering it if its closing line has a label> */
        if (!strcmp(s, "$$")) {                           /* a display: look ahead for its label */
            ps->math = 1; ps->eqid[0] = '\0';
            for (int m = k + 1; m < L->n; m++)
                if (!strncmp(L->s[m], "$$", 2)) {
                    char *a = attr_block(L->s[m], id, sizeof id, NULL);
                    if (a && !strncmp(id, "eq:", 3)) {
                        snprintf(ps->eqid, sizeof ps->eqid, "%s", id);
                        if (!o) { char num[32]; snprintf(num, sizeof num, "%s.%d", c->number, ++c->neq);
                                  add_target(id, num, "", chap, 0, c->path, L->line[m]); }
                    }
                    break;
                }
            if (o) {
                if (html && ps->eqid[0]) sprintf_(o, "`<span class=\"eqanchor\" id=\"%s\"></span>`{=html}$$\n", ps->eqid);
                else sputs(o, "$$\n");
            }
            continue;
        }
        /* <Number and write a heading> */
        if (s[0] == '#') {                                 /* a heading */
            int level = (int)strspn(s, "#");
            if (s[level] != ' ') goto plain;
            char *a = attr_block(s, id, sizeof id, &unnumbered), num[32] = "";
            char *title = strndup(s + level + 1, a ? (size_t)(a - s - level - 1) : strlen(s + level + 1));
            size_t tl = strlen(title); while (tl && title[tl - 1] == ' ') title[--tl] = '\0';
            if (!a) id[0] = '\0', unnumbered = 0;
            /* <Number the heading by its level> */
            if (level == 1) { snprintf(num, sizeof num, "%s", c->number); c->nsec = c->nsub = 0; if (!o) c->title = xstrdup(title); }
            else if (!unnumbered && level == 2) snprintf(num, sizeof num, "%s.%d", c->number, ++c->nsec), c->nsub = 0;
            else if (!unnumbered && level == 3) snprintf(num, sizeof num, "%s.%d.%d", c->number, c->nsec, ++c->nsub);
            /* <Make up an id for a heading that has none> */
            if (!id[0]) {
                if (num[0]) { snprintf(id, sizeof id, "s-%s", num); for (char *p = id; *p; p++) if (*p == '.') *p = '-'; }
                else snprintf(id, sizeof id, "s-%s-%d", c->slug, line);
            }
            if (!o) add_target(id, num, title, chap, level, c->path, line);
            else {
                /* <Write the heading with its number and its id> */
                sprintf_(o, "%.*s ", level, s);
                if (html && num[0]) sprintf_(o, "`<span class=\"secnum\">%s</span>`{=html} ", num);
                inline_transform(o, title, chap, line);
                sprintf_(o, " {#%s%s}\n", id, unnumbered ? " .unnumbered" : "");
            }
            free(title);
            continue;
        }
        /* <Number and write a figure> */
        if (s[0] == '!' && s[1] == '[') {                  /* a figure, alone in its paragraph */
            str J = {0};
            int m = k;
            /* <Join the lines of the figure's paragraph until its label> */
            sputs(&J, s);
            while (!strstr(J.s, "){#fig:") && m + 1 < L->n && L->s[m + 1][0] != '\0') {
                m++;
                sputs(&J, " ");
                sputs(&J, L->s[m]);
            }
            char *fs = J.s, *attr = strstr(fs, "){#fig:"), *close = NULL;
            for (char *p = fs; attr && (p = strstr(p, "](")) && p < attr; p++) close = p;
            char *a = attr ? attr_block(fs, id, sizeof id, NULL) : NULL;
            if (close && a && !strncmp(id, "fig:", 4)) {
                char *name = strndup(close + 2, (size_t)(attr - close - 2));
                char *cap = strndup(fs + 2, (size_t)(close - fs - 2));
                if (!o) { char num[32]; snprintf(num, sizeof num, "%s.%d", c->number, ++c->nfig);
                          add_target(id, num, cap, chap, 0, c->path, line); fig_exists(name, chap, line); }
                else {
                    /* <Write the figure, with the file for the edition> */
                    target *g = &targets[tget(&ids, id)];
                    sputs(o, "![");
                    if (html) sprintf_(o, "Figure %s: ", g->number);
                    inline_transform(o, cap, chap, line);
                    sprintf_(o, "](%s%s%s)%s\n", html ? "figures/" : "", name, html ? ".svg" : "", a);
                }
                free(name); free(cap); free(J.s);
                k = m;
                continue;
            }
            if (!o && strstr(J.s, "]("))      /* LaTeX would number it, and the two editions disagree */
                fail(c->path, line, "a figure needs a label: ![caption](name){#fig:name}");
            free(J.s);
        }
    plain:
        if (o) { inline_transform(o, s, chap, line); sputs(o, "\n"); }
    }
}
/* <Render the indexes of identifiers and chunks> */
static void render_indexes(str *o)
{
    int in_chunks = 0, in_ids = 0, items = 0;
    str row = {0};
    /* <Render the index of identifiers> */
    if (html) sputs(o, "\n## Identifiers {#index-identifiers .unnumbered}\n\n````````{=html}\n<dl class=\"nwindex\">\n");
    else sputs(o, "\n````````{=latex}\n\\chapter*{Index of identifiers}\\addcontentsline{toc}{chapter}{Index of identifiers}\n\\begin{nwindex}\n");
    for (int i = 0; i < ntoks; i++) {
        const char *kw = toks[i].kw, *a = toks[i].arg;
        if (!strcmp(kw, "@index") && !strcmp(a, "beginindex")) in_ids = 1;
        else if (!strcmp(kw, "@index") && !strcmp(a, "endindex")) in_ids = 0;
        else if (in_ids && !strcmp(kw, "@index")) {
            /* <Add an index entry of an identifier to row> */
            if (!strncmp(a, "entrybegin ", 11)) {
                const char *name = strchr(a + 11, ' ');
                name = name ? name + 1 : "";
                row.n = 0; sputs(&row, "");
                if (html) { sputs(&row, "<dt><code>"); esc(&row, name); sputs(&row, "</code></dt><dd>"); }
                else { sputs(&row, "\\nwentry{"); esc(&row, name); sputs(&row, "}{"); }
                items = 0;
            } else if (!strncmp(a, "entrydefn ", 10) || !strncmp(a, "entryuse ", 9)) {
                int def = a[5] == 'd';
                const char *l = a + (def ? 10 : 9);
                if (items++) sputs(&row, ", ");
                if (def) sputs(&row, html ? "<strong>" : "\\textbf{");
                chunk_link(&row, l, -1);
                if (def) sputs(&row, html ? "</strong>" : "}");
            } else if (!strcmp(a, "entryend")) {
                sputs(&row, html ? "</dd>\n" : "}\n");
                sputs(o, row.s);
            }
        }
    }
    sputs(o, html ? "</dl>\n````````\n\n" : "\\end{nwindex}\n````````\n\n");
    /* <Render the index of chunks> */
    if (html) sputs(o, "## Chunks {#index-chunks .unnumbered}\n\n````````{=html}\n<dl class=\"nwindex\">\n");
    else sputs(o, "````````{=latex}\n\\chapter*{Index of code chunks}\\addcontentsline{toc}{chapter}{Index of code chunks}\n\\begin{nwindex}\n");
    for (int i = 0; i < ntoks; i++) {
        const char *kw = toks[i].kw, *a = toks[i].arg;
        if (!strcmp(kw, "@xref") && !strcmp(a, "beginchunks")) in_chunks = 1;
        else if (!strcmp(kw, "@xref") && !strcmp(a, "endchunks")) in_chunks = 0;
        else if (in_chunks && !strcmp(kw, "@xref")) {
            /* <Add an index entry of a chunk to row> */
            if (!strncmp(a, "chunkbegin ", 11)) {
                const char *name = strchr(a + 11, ' ');
                name = name ? name + 1 : "";
                row.n = 0; sputs(&row, "");
                sputs(&row, html ? "<dt>\u27e8" : "\\nwentry{$\\langle$");
                chunk_name(&row, name);
                sputs(&row, html ? "\u27e9</dt><dd>" : "$\\rangle$}{");
                items = 0;
            } else if (!strncmp(a, "chunkdefn ", 10) || !strncmp(a, "chunkuse ", 9)) {
                int def = a[5] == 'd';
                if (items++) sputs(&row, ", ");
                if (def) sputs(&row, html ? "<strong>" : "\\textbf{");
                chunk_link(&row, a + (def ? 10 : 9), -1);
                if (def) sputs(&row, html ? "</strong>" : "}");
            } else if (!strcmp(a, "chunkend")) {
                sputs(&row, html ? "</dd>\n" : "}\n");
                sputs(o, row.s);
            }
        }
    }
    sputs(o, html ? "</dl>\n````````\n" : "\\end{nwindex}\n````````\n");
    free(row.s);
}
/* <Write a file whole or not at all> */
static void write_file(const char *dir, const char *name, const str *s)
{
    char path[1024], tmp[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fwrite(s->s, 1, s->n, f) != s->n || fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "nwpandoc: cannot write %s\n", path);
        exit(1);
    }
}
/* <Write a YAML field in single quotes> */
static void yaml(str *o, const char *key, const char *v)
{
    sprintf_(o, "%s: '", key);
    for (; *v; v++) { if (*v == '\'') sputs(o, "'"); sput(o, v, 1); }
    sputs(o, "'\n");
}
/* <Walk the web in pass 1 or pass 2> */
/* Both passes over the whole web. */
static void walk(int pass, str *out)
{
    prose_state ps = {0};
    int chap = -1;
    for (int c = 0; c < nchaps; c++) chaps[c].nsec = chaps[c].nsub = chaps[c].nfig = chaps[c].neq = 0;
    for (int i = 0; i < ntoks; i++) {
        if (toks[i].file != chap) { chap = toks[i].file; memset(&ps, 0, sizeof ps); }
        if (strcmp(toks[i].kw, "@begin") != 0) continue;
        if (!strncmp(toks[i].arg, "docs", 4)) {
            lines L = {0};
            i = gather_docs(i, &L, pass == 2);
            prose(pass == 2 ? &out[chap] : NULL, &L, chap, &ps);
            lines_free(&L);
        } else if (pass == 2)
            i = render_code(&out[chap], i);
    }
}
/* <Print the usage of nwpandoc and exit> */
static void usage(void)
{
    fprintf(stderr,
        "Usage: nwpandoc (--html DIR | --latex DIR) [--data DIR] [--figures DIR] [--appendix FILE.nw]\n"
        "Read a noweb pipeline (markup | autodefs.c | finduses | noidx) of the whole book on\n"
        "standard input and write Pandoc Markdown: one page a chapter plus index.md and\n"
        "identifiers.md for HTML, or one book.md for LaTeX.\n");
    exit(2);
}
/* <Run nwpandoc> */
int main(int argc, char **argv)
{
    const char *outdir = NULL, *appendix = NULL;
    /* <Parse the command line of nwpandoc> */
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        if (!strcmp(argv[i], "--html")) html = 1, outdir = argv[++i];
        else if (!strcmp(argv[i], "--latex")) html = 0, outdir = argv[++i];
        else if (!strcmp(argv[i], "--data")) datadir = argv[++i];
        else if (!strcmp(argv[i], "--figures")) figdir = argv[++i];
        else if (!strcmp(argv[i], "--appendix")) appendix = argv[++i];
        else usage();
    }
    if (!outdir) usage();
    read_pipeline(stdin, appendix);
    if (!nchaps) { fprintf(stderr, "nwpandoc: no chapters on standard input\n"); return 1; }
    number_chunks();
    walk(1, NULL);
    str *out = calloc((size_t)nchaps, sizeof *out);
    for (int c = 0; c < nchaps; c++) {
        sputs(&out[c], "");
        if (!chaps[c].title) fail(chaps[c].path, 1, "the chapter has no '# Title' heading");
    }
    if (errors) return 1;
    walk(2, out);
    if (errors) return 1;
    if (html) {
        /* <Write the HTML edition: a page a chapter, the contents, the index> */
        str toc = {0}, idx = {0};
        /* <Write a page for each chapter, with links to its neighbours> */
        for (int c = 0; c < nchaps; c++) {
            str page = {0};
            char t[512];
            sputs(&page, "---\n");
            snprintf(t, sizeof t, "%s %s", chaps[c].number, chaps[c].title); yaml(&page, "pagetitle", t);
            if (c > 0) { yaml(&page, "prev", chaps[c - 1].slug); snprintf(t, sizeof t, "%s %s", chaps[c - 1].number, chaps[c - 1].title); yaml(&page, "prevtitle", t); }
            if (c + 1 < nchaps) { yaml(&page, "next", chaps[c + 1].slug); snprintf(t, sizeof t, "%s %s", chaps[c + 1].number, chaps[c + 1].title); yaml(&page, "nexttitle", t); }
            sputs(&page, "---\n\n");
            sputs(&page, out[c].s);
            snprintf(t, sizeof t, "%s.md", chaps[c].slug);
            write_file(outdir, t, &page);
            free(page.s);
        }
        /* <Write the contents page, index.md> */
        sputs(&toc, "---\npagetitle: 'Contents'\n---\n\n");
        for (int t = 0; t < ntargets; t++) {
            target *g = &targets[t];
            if (g->level == 1) {
                if (g->chap > 0 && chaps[g->chap].appendix && !chaps[g->chap - 1].appendix) sputs(&toc, "\n**Appendices**\n\n");
                sprintf_(&toc, "- [%s %s](%s.html)\n", g->number, g->text, chaps[g->chap].slug);
            } else if (g->level == 2 && g->number[0])
                sprintf_(&toc, "    - [%s %s](%s.html#%s)\n", g->number, g->text, chaps[g->chap].slug, g->id);
        }
        sputs(&toc, "- [Index of identifiers and chunks](identifiers.html)\n");
        write_file(outdir, "index.md", &toc);
        sputs(&idx, "---\npagetitle: 'Index'\n---\n\n# Index {#index .unnumbered}\n");
        render_indexes(&idx);
        write_file(outdir, "identifiers.md", &idx);
        free(toc.s); free(idx.s);
    } else {
        /* <Write the LaTeX edition: book.md> */
        str book = {0};
        for (int c = 0; c < nchaps; c++) {
            if (chaps[c].appendix && (c == 0 || !chaps[c - 1].appendix)) sputs(&book, "\n```{=latex}\n\\appendix\n```\n\n");
            sputs(&book, out[c].s);
            sputs(&book, "\n");
        }
        sputs(&book, "\n```{=latex}\n\\backmatter\n\\chapter*{Bibliography}\\addcontentsline{toc}{chapter}{Bibliography}\n```\n\n::: {#refs}\n:::\n");
        render_indexes(&book);
        write_file(outdir, "book.md", &book);
        free(book.s);
    }
    return errors ? 1 : 0;
}
