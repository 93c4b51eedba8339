// oauth2-rest: entry point (subcommands are wired in src/cli).
#include <cstdio>
int main() { std::puts("oauth2-rest: under construction"); return 0; }
