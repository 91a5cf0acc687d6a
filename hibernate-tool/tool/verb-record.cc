// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstdio>

#include "parse.hh"
#include "resumer.hh"
#include "verbs.hh"

int verb_record(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o)
{
        auto r = ht::write_record(host, cfg, o.boot_entry);
        if (!r) {
                std::fprintf(stderr, "hibernate-tool: cannot write the hibernation record: %s\n", r.error().message.c_str());
                return 1;
        }
        if (o.json) {
                std::printf("{\"device\": \"%s\", \"header_offset\": %llu, \"kernel\": \"%s\", \"filesystems\": [",
                            ht::json_escape(r->device).c_str(), static_cast<unsigned long long>(r->header_offset),
                            ht::json_escape(r->record.kernel_release).c_str());
                for (size_t i = 0; i < r->record.filesystems.size(); i++) {
                        auto &f = r->record.filesystems[i];
                        std::printf("%s{\"uuid\": \"%s\", \"type\": \"%s\", \"mountpoint\": \"%s\", \"covered\": %s, "
                                    "\"mount_count\": %u}",
                                    i ? ", " : "", f.uuid_str().c_str(), ht::json_escape(f.fstype).c_str(),
                                    ht::json_escape(f.mountpoint).c_str(), ht::fs_kind_covered(f.kind) ? "true" : "false",
                                    f.mount_count);
                }
                std::printf("]}\n");
                return 0;
        }
        std::printf("hibernate-tool: recorded kernel %s and %zu filesystem(s) on %s\n", r->record.kernel_release.c_str(),
                    r->record.filesystems.size(), r->device.c_str());
        for (auto &f : r->record.filesystems)
                std::printf("  %s %s UUID=%s%s\n", f.mountpoint.c_str(), f.fstype.c_str(), f.uuid_str().c_str(),
                            ht::fs_kind_covered(f.kind) ? "" : " (not verifiable at resume)");
        return 0;
}
