// Errors at the library boundary: one exception type that carries what went
// wrong, what to do about it, and whether the user's input was at fault.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace xdpguard {

enum class ErrorKind {
    BadInput,  // the command line or a file was wrong; exit status 2
    Runtime,   // the system refused or failed; exit status 1
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message)
        : std::runtime_error(message), kind_(kind) {}

    ErrorKind kind() const { return kind_; }
    int exitStatus() const { return kind_ == ErrorKind::BadInput ? 2 : 1; }

private:
    ErrorKind kind_;
};

[[noreturn]] inline void badInput(const std::string& message) {
    throw Error(ErrorKind::BadInput, message);
}

// `text` as a message can show it: bytes outside printable ASCII become \xHH.
// Anything the user typed goes through this before it is quoted in an error,
// so a NUL cannot cut the message short and a newline cannot forge a line.
std::string printable(std::string_view text);

// Translates a libbpf / syscall error (negative or positive errno) into an
// Error whose message says what failed and what the user can do. This is the
// one place where errno values become words.
[[noreturn]] void failErrno(int err, std::string_view action);

}  // namespace xdpguard
