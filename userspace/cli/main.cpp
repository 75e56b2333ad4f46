// xdpguard: keeps direct-to-MX spam away from a mail server with XDP.
// This file only declares the command line; cli/commands.cpp does the work.
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

#include "commands.hpp"
#include "exporter.hpp"
#include "metrics.hpp"
#include "observe_commands.hpp"
#include "run_command.hpp"
#include "spf_commands.hpp"
#include "error.hpp"
#include "log.hpp"

using namespace xdpguard;

namespace {

constexpr const char* kDescription =
    "xdpguard: accept SMTP connections only from your mail filter's gateways.\n"
    "An XDP program drops TCP SYNs to protected ports (25 by default) whose source\n"
    "is outside the allowlist; everything else passes untouched.";

struct Cli {
    std::optional<std::string> pinDir;
    bool verbose = false;
    cli::AttachArgs attach;
    std::vector<std::string> interfaces;
    std::vector<std::string> cidrs;
    std::vector<int> ports;
    std::string mode;
    std::string address;
    uint32_t feedRate = 0;
    std::string file;
    std::string domain;
    std::optional<std::string> dnsServer;
    cli::AllowChangeArgs change;
    int port = kDefaultSmtpPort;
    size_t top = kDefaultTopSources;
    std::string listen = kDefaultMetricsListen;
    bool all = false, purge = false, force = false, json = false;
    std::string configPath = "/etc/xdpguard/xdpguard.toml";
    bool detachOnExit = false;
};

// Options every allowlist change shares.
void addChangeOptions(CLI::App* command, Cli& cli, bool isSync) {
    command->add_flag("--dry-run", cli.change.dryRun, "print the plan (+/-), change nothing");
    command->add_flag("--force", cli.change.force, "allow emptying the allowlist while enforcing");
    if (isSync)
        command->add_flag("--allow-shrink", cli.change.allowShrink,
                          "allow removing more than half of the source's prefixes, or all");
}

void declareAllowChanges(CLI::App* allow, Cli& cli, std::function<int(Controller&)>& action) {
    auto* add = allow->add_subcommand("add", "allow SYNs from these prefixes (all or nothing)");
    add->add_option("cidrs", cli.cidrs, "IPv4/IPv6 prefixes, e.g. 192.0.2.0/24 2001:db8::/32")->required();
    add->add_option("--source", cli.change.source, "record them under this source: manual (default), file:NAME or spf:DOMAIN");
    addChangeOptions(add, cli, false);
    add->callback([&] {
        action = [&](Controller& c) {
            return cli::runAllowChange(cli.change, [&](const ChangeOptions& o) { return c.allowAdd(cli.cidrs, o); });
        };
    });

    auto* del = allow->add_subcommand("del", "remove prefixes (all or nothing)");
    del->alias("delete");
    del->add_option("cidrs", cli.cidrs, "prefixes to remove")->required();
    del->add_option("--source", cli.change.source, "the source that lists them: manual (default), file:NAME or spf:DOMAIN");
    addChangeOptions(del, cli, false);
    del->callback([&] {
        action = [&](Controller& c) {
            return cli::runAllowChange(cli.change, [&](const ChangeOptions& o) { return c.allowDelete(cli.cidrs, o); });
        };
    });

    auto* sync = allow->add_subcommand("sync", "make a source's prefixes exactly the file's (adds first, then removes)");
    sync->add_option("file", cli.file, "one CIDR per line, # comments")->required();
    sync->add_option("--source", cli.change.source, "source name (default file:BASENAME)");
    addChangeOptions(sync, cli, true);
    sync->callback([&] {
        if (!cli.change.source.empty() && cli.change.source.find(':') == std::string::npos)
            cli.change.source = "file:" + cli.change.source;
        action = [&](Controller& c) {
            return cli::runAllowChange(cli.change, [&](const ChangeOptions& o) { return c.allowSync(cli.file, o); });
        };
    });
}

void declareSpfCommands(CLI::App& app, CLI::App* allow, Cli& cli, std::function<int(Controller&)>& action) {
    auto* import = allow->add_subcommand("import-spf", "flatten DOMAIN's SPF policy and sync it into source spf:DOMAIN");
    import->add_option("domain", cli.domain, "the mail provider's SPF domain")->required();
    import->add_option("--dns-server", cli.dnsServer, "ask this server (IP[:PORT]) instead of the system resolver");
    addChangeOptions(import, cli, true);
    import->callback([&] {
        action = [&](Controller& c) { return cli::runImportSpf(c, cli.domain, cli.dnsServer, cli.change); };
    });

    auto* spf = app.add_subcommand("spf", "SPF tools");
    spf->require_subcommand(1);
    auto* flatten = spf->add_subcommand("flatten", "print the prefixes DOMAIN's SPF policy gives a pass");
    flatten->add_option("domain", cli.domain, "domain")->required();
    flatten->add_option("--dns-server", cli.dnsServer, "ask this server (IP[:PORT]) instead of the system resolver");
    flatten->callback([&] { action = [&](Controller&) { return cli::runSpfFlatten(cli.domain, cli.dnsServer); }; });
}

void declareObserveCommands(CLI::App& app, Cli& cli, std::function<int(Controller&)>& action) {
    auto* stats = app.add_subcommand("stats", "counters: verdicts, per-prefix allowed SYNs");
    stats->add_flag("--json", cli.json, "machine-readable output");
    stats->callback([&] { action = [&](Controller& c) { return cli::runStats(c.pinDir(), cli.json); }; });

    auto* top = app.add_subcommand("top", "the source networks (/24, /48) with the most denied SYNs");
    top->add_option("-n", cli.top, "how many networks (default 20)")->check(CLI::Range(1, 100000));
    top->add_flag("--json", cli.json, "machine-readable output");
    top->callback([&] { action = [&](Controller& c) { return cli::runTop(c.pinDir(), cli.top, cli.json); }; });

    auto* check = app.add_subcommand("check", "would a SYN from ADDRESS get through? (counters untouched)");
    check->add_option("address", cli.address, "source address, e.g. 192.0.2.7")->required();
    check->add_option("--port", cli.port, "destination port (default 25)")->check(CLI::Range(1, 65535));
    check->callback([&] {
        action = [&](Controller& c) { return cli::runCheck(c.pinDir(), cli.address, cli.port); };
    });

    auto* watch = app.add_subcommand("watch", "print denied SYNs live from the drop feed");
    watch->add_flag("--json", cli.json, "one JSON object per line");
    watch->callback([&] { action = [&](Controller& c) { return cli::runWatch(c.pinDir(), cli.json); }; });

    auto* exporter = app.add_subcommand("exporter", "serve /metrics for Prometheus");
    exporter->add_option("--listen", cli.listen, "IPv4:PORT or [IPv6]:PORT (default 127.0.0.1:9433)");
    exporter->add_option("--top", cli.top, "top denied source networks exported (default 20)")
        ->check(CLI::Range(0, 1000));
    exporter->callback([&] {
        action = [&](Controller& c) { return cli::runExporter(c.pinDir(), cli.listen, cli.top); };
    });
}

void declareRunCommand(CLI::App& app, Cli& cli, std::function<int(Controller&)>& action) {
    auto* run = app.add_subcommand(
        "run", "run as a daemon: keep the filter as the config file describes it (reload: SIGHUP or saving it)");
    run->add_option("--config", cli.configPath, "the TOML configuration (default /etc/xdpguard/xdpguard.toml)");
    run->add_flag("--detach-on-exit", cli.detachOnExit,
                  "detach from every interface on SIGTERM (default: the filter stays attached)");
    run->callback([&] {
        action = [&](Controller&) { return cli::runDaemon(cli.configPath, cli.detachOnExit, cli.pinDir); };
    });
    run->footer(
        "The whole config is checked first, down to each interface existing (errors as\n"
        "FILE:LINE:COLUMN, exit 2, nothing touched); then the sources are synced, then attached.\n"
        "SIGHUP or saving the config: reload, applying only what changed; a bad config is refused.\n"
        "SIGHUP also looks up every SPF source again at once.\n"
        "Saving a listed allowlist file: that source is synced again.\n"
        "SPF sources: looked up again at their records' TTL, within [sources] spf_refresh_min..max,\n"
        "beside the event loop: a slow DNS server holds up no signal, reload or file change.\n"
        "SIGTERM, SIGINT: stop; the filter stays attached with its allowlist and counters.\n"
        "The filter is the one in the config's pin_dir: a --pin-dir naming another directory is\n"
        "refused (exit 2), and $XDPGUARD_PIN_DIR is not used.\n"
        "A new xdpguard started on a running filter updates its program in place (bpf_link).");
}

// Each subcommand's callback stores the function to run once parsing
// succeeded, so that errors in arguments never half-run a command.
void declare(CLI::App& app, Cli& cli, std::function<int(Controller&)>& action) {
    app.add_option("--pin-dir", cli.pinDir,
                   "bpffs directory of the filter's pins (default $XDPGUARD_PIN_DIR or /sys/fs/bpf/xdpguard)");
    app.add_flag("-v,--verbose", cli.verbose, "explain what happens, including libbpf messages");
    app.require_subcommand(1);

    auto* attach = app.add_subcommand("attach", "load the filter and attach it to interfaces");
    attach->add_option("interfaces", cli.attach.interfaces, "network interfaces")->required();
    attach->add_option("--mode", cli.attach.xdpMode, "XDP mode: auto (native, else generic), native, generic")
        ->check(CLI::IsMember({"auto", "native", "generic"}));
    auto* monitor = attach->add_flag("--monitor", cli.attach.monitor, "count would-be drops, drop nothing");
    attach->add_flag("--enforce", cli.attach.enforce, "drop denied SYNs (default for a new filter)")
        ->excludes(monitor);
    attach->add_option("--port", cli.attach.ports, "protected destination port (repeatable; default 25)");
    attach->add_flag("--force", cli.attach.force, "enforce even with an empty allowlist");
    attach->add_flag("--dry-run", cli.attach.dryRun, "check and say what would happen, change nothing");
    attach->add_option("--max-prefixes", cli.attach.maxPrefixes, "allowlist capacity of a new filter (default 65536)")
        ->check(CLI::Range(1u, 16u << 20));
    attach->callback([&] { action = [&](Controller& c) { return cli::runAttach(c, cli.attach); }; });

    auto* detach = app.add_subcommand("detach", "detach the filter from interfaces");
    detach->add_option("interfaces", cli.interfaces, "network interfaces");
    detach->add_flag("--all", cli.all, "detach from every interface");
    detach->add_flag("--purge", cli.purge, "also remove the pinned allowlist and counters once nothing is attached");
    detach->add_flag("--dry-run", cli.change.dryRun, "say what would happen, change nothing");
    detach->callback([&] {
        action = [&](Controller& c) {
            return cli::runDetach(c, cli.interfaces, cli.all, cli.purge, cli.change.dryRun);
        };
    });

    auto* status = app.add_subcommand("status", "show interfaces, mode, ports, allowlist size and counters");
    status->add_flag("--json", cli.json, "machine-readable output");
    status->callback([&] { action = [&](Controller& c) { return cli::runStatus(c, cli.json); }; });

    auto* allow = app.add_subcommand("allow", "manage the allowlist of gateway prefixes");
    allow->require_subcommand(1);
    declareAllowChanges(allow, cli, action);
    declareSpfCommands(app, allow, cli, action);
    auto* list = allow->add_subcommand("list", "list prefixes with their allowed-SYN counters");
    list->add_flag("--json", cli.json, "machine-readable output");
    list->callback([&] { action = [&](Controller& c) { return cli::runAllowList(c, cli.json); }; });

    auto* mode = app.add_subcommand("mode", "switch between enforce, monitor and bypass at run time");
    mode->add_option("mode", cli.mode,
                     "enforce (drop denied SYNs), monitor (count them as would-drop, drop nothing) or "
                     "bypass (break glass: pass and count nothing)")
        ->required()
        ->check(CLI::IsMember({"enforce", "monitor", "bypass"}));
    mode->add_flag("--force", cli.force, "enforce even with an empty allowlist");
    mode->add_flag("--dry-run", cli.change.dryRun, "say what would change, change nothing");
    mode->callback([&] {
        action = [&](Controller& c) { return cli::runMode(c, cli.mode, cli.force, cli.change.dryRun); };
    });

    auto* dropLog = app.add_subcommand("drop-log", "set the live drop feed's rate limit (0 turns it off)");
    dropLog->add_option("rate", cli.feedRate, "denied-SYN events per second per CPU")->required()
        ->check(CLI::Range(0, 100000));
    dropLog->add_flag("--dry-run", cli.change.dryRun, "say what would change, change nothing");
    dropLog->callback([&] {
        action = [&](Controller& c) { return cli::runDropLog(c, cli.feedRate, cli.change.dryRun); };
    });

    auto* ports = app.add_subcommand("ports", "set the protected destination ports at run time");
    ports->add_option("ports", cli.ports, "ports, e.g. 25 2525")->required()->check(CLI::Range(1, 65535));
    ports->add_flag("--dry-run", cli.change.dryRun, "say what would change, change nothing");
    ports->callback([&] { action = [&](Controller& c) { return cli::runPorts(c, cli.ports, cli.change.dryRun); }; });

    declareObserveCommands(app, cli, action);
    declareRunCommand(app, cli, action);

    app.add_subcommand("version", "print the version")->callback([&] {
        action = [](Controller&) {
            std::cout << "xdpguard " << XDPGUARD_VERSION << " (map layout " << XG_LAYOUT_VERSION << ")\n";
            return 0;
        };
    });
}

// CLI11 reports an unknown command word as "a subcommand is required";
// name the word instead.
bool rejectUnknownCommand(CLI::App& app, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--pin-dir") {
            ++i;
            continue;
        }
        if (arg.empty() || arg[0] == '-') continue;
        for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
            if (sub->get_name() == arg) return false;
        std::cerr << "xdpguard: error: unknown command '" << arg << "'; run `xdpguard --help`\n";
        return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app(kDescription, "xdpguard");
    Cli cli;
    std::function<int(Controller&)> action;
    declare(app, cli, action);
    if (rejectUnknownCommand(app, argc, argv)) return 2;
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);  // prints help or the error
        return code == 0 ? 0 : 2;
    }
    setVerbose(cli.verbose);
    try {
        Controller controller(PinDir::resolve(cli.pinDir));
        return action(controller);
    } catch (const Error& e) {
        std::cerr << "xdpguard: error: " << e.what() << "\n";
        return e.exitStatus();
    } catch (const std::exception& e) {
        std::cerr << "xdpguard: internal error: " << e.what() << "\n";
        return 1;
    }
}
