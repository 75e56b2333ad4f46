#include "bench_report.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "error.hpp"
#include "fd.hpp"

namespace xdpguard::bench {

double Samples::median() const {
    std::vector<double> sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    const size_t mid = sorted.size() / 2;
    if (sorted.empty()) return 0;
    return sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

double Samples::min() const { return values_.empty() ? 0 : *std::min_element(values_.begin(), values_.end()); }

double Samples::max() const { return values_.empty() ? 0 : *std::max_element(values_.begin(), values_.end()); }

void printRow(const Row& row) {
    std::printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.section.c_str(), row.name.c_str(),
                row.median.c_str(), row.min.c_str(), row.max.c_str(), row.unit.c_str(),
                row.ratio.c_str(), row.target.c_str(), row.met.c_str());
    std::fflush(stdout);
}

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string verdict(bool met) { return met ? "yes" : "NO"; }

void pinToCpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set)) failErrno(errno, "pin the benchmark to CPU " + std::to_string(cpu));
}

double monotonicSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint64_t mapMemlockBytes(int mapFd) {
    std::ifstream info("/proc/self/fdinfo/" + std::to_string(mapFd));
    std::string key;
    uint64_t value = 0;
    while (info >> key) {
        if (key == "memlock:" && info >> value) return value;
        info.ignore(4096, '\n');
    }
    throw Error(ErrorKind::Runtime, "no memlock line in /proc/self/fdinfo/" + std::to_string(mapFd));
}

uint64_t kernelMemoryBytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    uint64_t kib = 0, total = 0;
    while (meminfo >> key >> kib) {
        if (key == "Slab:" || key == "Percpu:" || key == "VmallocUsed:") total += kib * 1024;
        meminfo.ignore(4096, '\n');
    }
    return total;
}

void enterNetns(const std::string& name) {
    const std::string path = "/run/netns/" + name;
    Fd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) failErrno(errno, "open network namespace " + path);
    if (setns(ns.get(), CLONE_NEWNET)) failErrno(errno, "enter network namespace " + name);
}

int runTool(const char* tool, const std::function<int()>& body) {
    try {
        return body();
    } catch (const Error& error) {
        std::fprintf(stderr, "%s: %s\n", tool, error.what());
        return error.exitStatus();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "%s: %s\n", tool, error.what());
        return 1;
    }
}

}  // namespace xdpguard::bench
