// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstdio>

#include "json.hh"
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
        if (o.json != ht::JsonStyle::Off) {
                auto j = ht::json_document();
                j["device"] = r->device;
                j["header_offset"] = r->header_offset;
                j["kernel"] = r->record.kernel_release;
                ht::Json fss = ht::Json::array();
                for (auto &f : r->record.filesystems)
                        fss.push_back({{"uuid", f.uuid_str()},
                                       {"type", f.fstype},
                                       {"mountpoint", f.mountpoint},
                                       {"covered", ht::fs_kind_covered(f.kind)},
                                       {"mount_count", f.mount_count}});
                j["filesystems"] = std::move(fss);
                std::fputs(ht::json_dump(j, o.json).c_str(), stdout);
                return 0;
        }
        std::printf("hibernate-tool: recorded kernel %s and %zu filesystem(s) on %s\n", r->record.kernel_release.c_str(),
                    r->record.filesystems.size(), r->device.c_str());
        for (auto &f : r->record.filesystems)
                std::printf("  %s %s UUID=%s%s\n", f.mountpoint.c_str(), f.fstype.c_str(), f.uuid_str().c_str(),
                            ht::fs_kind_covered(f.kind) ? "" : " (not verifiable at resume)");
        return 0;
}
