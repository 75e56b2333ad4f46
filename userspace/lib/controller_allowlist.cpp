// Controller: the allowlist commands (add, del, sync, list).
#include <optional>

#include "allow_file.hpp"
#include "controller.hpp"
#include "error.hpp"
#include "filter_state.hpp"
#include "skeleton.hpp"

namespace xdpguard {
namespace {

std::string defaultFileSource(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return "file:" + (slash == std::string::npos ? path : path.substr(slash + 1));
}

}  // namespace

void Controller::refuseEmptyWhileEnforcing(const MapSet& maps, const ChangePlan& plan, bool force) const {
    if (force || plan.allowlistSizeAfter > 0 || plan.removed.empty() || !anyAttached() ||
        RuntimeConfig(maps).read().mode != Mode::Enforce)
        return;
    badInput("this would remove the last allowlisted prefix while enforcing and reject all mail on the "
             "protected ports. Switch to monitor first (`xdpguard mode monitor`), or add the new "
             "gateways before removing the old; --force overrides");
}

ChangePlan Controller::change(const ChangeOptions& options, ChangeKind kind,
                              const std::function<ChangePlan(AllowlistEditor&)>& makePlan) {
    const bool isSync = kind == ChangeKind::Sync;
    validateSourceName(options.source);
    std::optional<MapSet> existing = FilterState::open(dir_);
    if (!existing && options.dryRun) {
        // Plan against an empty filter in unpinned maps: nothing persists.
        Skeleton scratch = Skeleton::open();
        scratch.load();
        const MapSet maps = scratch.maps();
        AllowlistEditor editor(maps);
        ChangePlan plan = makePlan(editor);
        if (isSync) checkShrink(plan, options.allowShrink);
        return plan;
    }
    const bool createdDir = dir_.create();
    try {
        PinDirLock lock(dir_);
        const MapSet maps = FilterState::openOrCreate(dir_, newFilterCapacity_);
        AllowlistEditor editor(maps);
        // Adds must stay fast at 100k prefixes: they check only the
        // prefixes they name.
        if (kind != ChangeKind::Add) editor.reconcile();
        ChangePlan plan = makePlan(editor);
        if (isSync) checkShrink(plan, options.allowShrink);
        refuseEmptyWhileEnforcing(maps, plan, options.force);
        if (!options.dryRun) editor.apply(plan);
        return plan;
    } catch (...) {
        if (createdDir) dir_.removeIfEmpty();
        throw;
    }
}

ChangePlan Controller::allowAdd(const std::vector<std::string>& cidrs, const ChangeOptions& options) {
    const std::vector<Prefix> prefixes = parsePrefixes(cidrs);
    return change(options, ChangeKind::Add, [&](AllowlistEditor& editor) {
        return editor.planAdd(options.source, prefixes);
    });
}

ChangePlan Controller::allowDelete(const std::vector<std::string>& cidrs, const ChangeOptions& options) {
    const std::vector<Prefix> prefixes = parsePrefixes(cidrs);
    FilterState::require(dir_);
    return change(options, ChangeKind::Remove, [&](AllowlistEditor& editor) {
        return editor.planRemove(options.source, prefixes);
    });
}

ChangePlan Controller::allowSync(const std::string& path, const ChangeOptions& options) {
    ChangeOptions fileOptions = options;
    if (fileOptions.source == kManualSource) fileOptions.source = defaultFileSource(path);
    return syncSource(readAllowFile(path), fileOptions);
}

ChangePlan Controller::syncSource(const std::vector<Prefix>& prefixes, const ChangeOptions& options) {
    return change(options, ChangeKind::Sync, [&](AllowlistEditor& editor) {
        return editor.planSync(options.source, prefixes);
    });
}

std::vector<AllowEntry> Controller::allowList() const {
    const MapSet maps = FilterState::require(dir_);
    return AllowlistEditor(maps).list();
}

}  // namespace xdpguard
