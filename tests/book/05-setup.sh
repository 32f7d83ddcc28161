# Set-up: without root, `make` names the exact apt-get line and stops.
not_root_message() {
    id nobody >/dev/null 2>&1 || { echo "no user nobody to test with"; return 1; }
    mkdir -p "$tmp/nr" && cp Makefile "$tmp/nr/" && mkdir -p "$tmp/nr/book" && cp book/chapters.txt "$tmp/nr/book/" && chmod -R a+rX "$tmp"
    local out rc=0
    out=$(cd "$tmp/nr" && su -s /bin/bash nobody -c "make -s deps PACKAGES='make pretext-no-such-package'" 2>&1) || rc=$?
    [ $rc -ne 0 ] || { echo "make deps succeeded"; return 1; }
    grep -q 'apt-get install --no-install-recommends pretext-no-such-package$' <<< "$out" || { echo "$out"; return 1; }
}
check "setup: without root, make prints the apt-get line and stops" not_root_message
