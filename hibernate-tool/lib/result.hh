// SPDX-License-Identifier: LGPL-2.1-or-later
// The one result convention of hibernate-tool: a value or an Error (errno + message).
// No exceptions cross module boundaries; library code never logs above debug level,
// the caller reports the error once.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace ht {

struct Error {
        int code = EINVAL;      // positive errno value
        std::string message;    // complete sentence fragment naming the object and the cause

        static Error from_errno(int err, std::string what);
};

template <typename T>
class [[nodiscard]] Result {
public:
        Result(T value) : v_(std::move(value)) {}
        Result(Error e) : v_(std::move(e)) {}

        bool ok() const { return v_.index() == 0; }
        explicit operator bool() const { return ok(); }

        T &value() & { return std::get<0>(v_); }
        const T &value() const & { return std::get<0>(v_); }
        T &&value() && { return std::get<0>(std::move(v_)); }
        T &operator*() & { return value(); }
        const T &operator*() const & { return value(); }
        T *operator->() { return &value(); }
        const T *operator->() const { return &value(); }

        const Error &error() const { return std::get<1>(v_); }

        T value_or(T fallback) const { return ok() ? value() : std::move(fallback); }

private:
        std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace ht
