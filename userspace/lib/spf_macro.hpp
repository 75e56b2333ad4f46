// SPF macros (RFC 7208 7) in the domain-specs of include, a, mx, ptr,
// exists, redirect and exp: checking their syntax when a record is parsed,
// and expanding them when a term is evaluated. Only %{d} (the domain being
// evaluated) and the literals %% %_ %- are the same for every client; the
// others make a term unflattenable.
//
// Errors are SpfError whose message is just the detail ("macro %{i} ..."):
// the caller knows the term and the domain and adds them.
#pragma once

#include <string>
#include <string_view>

#include "spf.hpp"

namespace xdpguard {

enum class MacroUse {
    DomainSpec,   // c, r and t are refused: they are allowed only in exp text
    AnyModifier,  // the value of an unknown modifier: any macro letter
};

// Throws SpfError(PermError) if `text` is not a valid macro-string.
void checkMacroString(std::string_view text, MacroUse use);

// Throws SpfError(PermError) unless `spec` is a valid domain-spec: a
// macro-string ending in "." and a top-level label, or in a macro.
void checkDomainSpec(std::string_view spec);

// Expands a domain-spec checked by checkDomainSpec, with `domain` as %{d}.
// Throws SpfError(Unflattenable) naming the first macro that depends on the
// client (%{i}, %{s}, ...). Over-long results lose labels on the left until
// they fit in 253 characters (RFC 7208 7.3).
std::string expandDomainSpec(std::string_view spec, const std::string& domain);

}  // namespace xdpguard
