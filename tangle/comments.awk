# A noweb pipeline filter: begin the text of every code chunk with a comment
# naming the chunk, so that the tangled C reads well without the book.
# Variables: style (c, hash, lua), root (the root being tangled), nw (the chapter).
function comment(s) {
    gsub(/\[\[|\]\]/, "", s)
    if (style == "c") { gsub(/\*\//, "* /", s); return "/* " s " */" }
    if (style == "lua") return "-- " s
    return "# " s
}
/^@defn / { name = substr($0, 7); pending = 1; print; next }
/^@nl$/ && pending {
    print
    if (name == root)
        print "@text " comment("Tangled from " nw " by tangle/tangle.sh: edit the chapter, not this file.")
    else
        print "@text " comment("<" name ">")
    print "@nl"
    pending = 0
    next
}
{ print }
