// xdpguard_benchgen: prints a benchmark allowlist, one CIDR per line — the
// same set the C++ benchmarks load for that size, for `xdpguard allow sync`
// and for the nftables interval set of the live comparison.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <set>

#include "bench_prefixes.hpp"
#include "bench_report.hpp"
#include "error.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Print a benchmark allowlist (one CIDR per line)"};
    std::string family = "v4";
    size_t count = 0;
    size_t replace = 0;
    app.add_option("--family", family, "v4 or v6")->check(CLI::IsMember({"v4", "v6"}));
    app.add_option("--count", count, "prefixes")->required()->check(CLI::Range(size_t{1}, size_t{10'000'000}));
    app.add_option("--replace", replace,
                   "swap this many prefixes for others (a day's change, for a re-sync)");
    CLI11_PARSE(app, argc, argv);

    return xdpguard::bench::runTool("xdpguard_benchgen", [&] {
        using namespace xdpguard;
        const Family fam = family == "v4" ? Family::V4 : Family::V6;
        const std::vector<Prefix> base = bench::makeAllowlist(fam, count).prefixes;
        if (replace > count) badInput("--replace must not exceed --count");
        std::set<Prefix> out(base.begin() + static_cast<std::ptrdiff_t>(replace), base.end());
        for (const Prefix& prefix : bench::makeAllowlist(fam, replace + 1).prefixes) {
            if (out.size() == count) break;
            out.insert(prefix);
        }
        for (const Prefix& prefix : out) std::printf("%s\n", prefix.str().c_str());
        return 0;
    });
}
