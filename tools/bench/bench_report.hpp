// What the benchmark tools share: samples over interleaved rounds, the
// tab-separated result rows that tools/bench/run.sh turns into one table,
// and the small system chores (CPU pinning, network namespaces, map memory).
//
// A result row, one per line on stdout (progress goes to stderr):
//   section \t case \t median \t min \t max \t unit \t ratio \t target \t met
// Empty fields are "-".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xdpguard::bench {

class Samples {
public:
    void add(double value) { values_.push_back(value); }
    void clear() { values_.clear(); }
    bool empty() const { return values_.empty(); }
    double median() const;
    double min() const;
    double max() const;
    const std::vector<double>& values() const { return values_; }

private:
    std::vector<double> values_;
};

struct Row {
    std::string section;
    std::string name;
    std::string median;
    std::string min = "-";
    std::string max = "-";
    std::string unit;
    std::string ratio = "-";
    std::string target = "-";
    std::string met = "-";
};

void printRow(const Row& row);
// Formats with a fixed number of decimals ("12.3").
std::string fixed(double value, int decimals);
// "yes" / "NO".
std::string verdict(bool met);

// Pins the calling thread to one CPU: per-CPU counters and caches stay put,
// and rounds compare like with like.
void pinToCpu(int cpu);

// CLOCK_MONOTONIC in seconds.
double monotonicSeconds();

// The kernel's own figure for a map's memory: the memlock line of
// /proc/self/fdinfo/FD (what `bpftool map show` prints).
uint64_t mapMemlockBytes(int mapFd);

// What the kernel holds in slab, per-CPU and vmalloc memory (/proc/meminfo),
// in bytes: the delta around a map fill is what the fill really costs,
// where memlock may count only part of it. Other processes add noise.
uint64_t kernelMemoryBytes();

// Moves the calling thread into the network namespace /run/netns/NAME.
void enterNetns(const std::string& name);

// Runs a tool's body, turning xdpguard::Error into its message and exit status.
int runTool(const char* tool, const std::function<int()>& body);

}  // namespace xdpguard::bench
