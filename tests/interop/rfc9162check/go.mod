module skillpass.example/tests/interop/rfc9162check

go 1.19

require golang.org/x/mod v0.7.0

// Debian's golang-golang-x-mod-dev (0.7.0-1) installs this exact release here;
// no module is downloaded.
replace golang.org/x/mod => /usr/share/gocode/src/golang.org/x/mod
