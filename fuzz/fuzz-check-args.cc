// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-check's option parser: the input is argv (without the program name) with the
// arguments separated by NUL bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli.hh"

#include "fuzz-common.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::vector<std::string> argv;
        if (size > 0)
                for (auto a : fuzz::split(fuzz::as_view(data, size), '\0'))
                        argv.emplace_back(a);

        auto r = ht::parse_check_args(argv);
        if (!r) {
                FUZZ_CHECK(!r.error().message.empty());
                return 0;
        }
        FUZZ_CHECK(!r->root.empty());
        FUZZ_CHECK(!r->config || !r->config->empty());
        return 0;
}
