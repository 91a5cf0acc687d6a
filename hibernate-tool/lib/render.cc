// SPDX-License-Identifier: LGPL-2.1-or-later
// Text and JSON renderings of a Report. The JSON shape is a stable contract
// (man/hibernate-check.8, JSON OUTPUT).
#include <algorithm>
#include <sstream>

#include "checks.hh"
#include "estimate.hh"

namespace ht {

namespace {

std::string q(std::string_view s)
{
        return "\"" + json_escape(s) + "\"";
}

template <typename T>
std::string opt_str(const std::optional<T> &v)
{
        return v ? q(*v) : "null";
}

std::string opt_num(const std::optional<uint64_t> &v)
{
        return v ? std::to_string(*v) : "null";
}

const char *kind_name(SwapKind k)
{
        switch (k) {
        case SwapKind::Partition: return "partition";
        case SwapKind::File: return "file";
        case SwapKind::Zram: return "zram";
        }
        return "partition";
}

}  // namespace

std::string render_json(const Report &r)
{
        std::ostringstream o;
        o << "{\n  \"ready\": " << (r.ready() ? "true" : "false") << ",\n  \"checks\": [";
        for (size_t i = 0; i < r.checks.size(); i++) {
                auto &c = r.checks[i];
                o << (i ? "," : "") << "\n    {\"id\": " << q(c.id) << ", \"status\": " << q(check_status_name(c.status))
                  << ", \"summary\": " << q(c.summary);
                if (!c.detail.empty())
                        o << ", \"detail\": " << q(c.detail);
                if (!c.remedy.empty())
                        o << ", \"remedy\": " << q(c.remedy);
                o << "}";
        }
        o << "\n  ],\n  \"resume\": {\"device\": " << opt_str(r.resume_device) << ", \"uuid\": " << opt_str(r.resume_uuid)
          << ", \"offset\": " << opt_num(r.resume_offset) << ", \"source\": " << opt_str(r.resume_source) << "},\n";
        o << "  \"swap\": [";
        for (size_t i = 0; i < r.swaps.size(); i++) {
                auto &s = r.swaps[i];
                o << (i ? "," : "") << "\n    {\"path\": " << q(s.entry.path) << ", \"type\": " << q(kind_name(s.entry.kind))
                  << ", \"size_bytes\": " << s.entry.size_bytes << ", \"used_bytes\": " << s.entry.used_bytes
                  << ", \"priority\": " << s.entry.priority << ", \"uuid\": " << opt_str(s.uuid)
                  << ", \"deleted\": " << (s.entry.deleted ? "true" : "false") << "}";
        }
        o << (r.swaps.empty() ? "" : "\n  ") << "],\n";
        o << "  \"kernel\": {\"release\": " << (r.kernel_release.empty() ? "null" : q(r.kernel_release))
          << ", \"hibernation\": " << (r.kernel_hibernation ? "true" : "false") << ", \"modes\": [";
        for (size_t i = 0; i < r.kernel_modes.size(); i++)
                o << (i ? ", " : "") << q(r.kernel_modes[i]);
        o << "]},\n  \"image\": ";
        if (!r.image) {
                o << "null";
        } else {
                auto &im = *r.image;
                o << "{\"device\": " << q(im.device) << ", \"header_offset\": " << im.header_offset
                  << ", \"signature\": " << q(im.header.sig) << ", \"original_signature\": " << q(im.header.orig_sig)
                  << ", \"flags\": " << im.header.flags << ", \"flag_names\": [";
                auto names = describe_flags(im.header.flags);
                for (size_t i = 0; i < names.size(); i++)
                        o << (i ? ", " : "") << q(names[i]);
                o << "], \"map_page\": " << im.header.image;
                if (im.info) {
                        auto &in = *im.info;
                        o << ", \"pages\": " << in.pages << ", \"data_pages\": " << in.image_pages
                          << ", \"size_bytes\": " << in.size << ", \"num_physpages\": " << in.num_physpages
                          << ", \"cpus\": " << in.cpus << ", \"release\": "
                          << (in.release.empty() ? "null" : q(in.release))
                          << ", \"arch_record\": " << (in.x86_64_arch_record ? q("x86_64") : "null")
                          << ", \"pageset2_pages\": " << in.ps2_pages << ", \"pageset2_map_page\": " << in.ps2_start;
                }
                o << ", \"problem\": " << (im.problem.empty() ? "null" : q(im.problem)) << ", \"record\": ";
                if (im.record) {
                        auto &rc = *im.record;
                        o << "{\"kernel\": " << q(rc.kernel_release) << ", \"boot_entry\": "
                          << (rc.boot_entry.empty() ? "null" : q(rc.boot_entry)) << ", \"created\": " << rc.created
                          << ", \"filesystems\": [";
                        for (size_t i = 0; i < rc.filesystems.size(); i++) {
                                auto &f = rc.filesystems[i];
                                o << (i ? ", " : "") << "{\"uuid\": " << q(f.uuid_str()) << ", \"kind\": "
                                  << q(fs_kind_name(f.kind)) << ", \"covered\": " << (fs_kind_covered(f.kind) ? "true" : "false")
                                  << ", \"mount_count\": " << f.mount_count << "}";
                        }
                        o << "]}";
                } else {
                        o << "null";
                }
                o << ", \"record_problem\": " << (im.record_problem.empty() ? "null" : q(im.record_problem)) << "}";
        }
        o << ",\n  \"last_resume\": ";
        if (r.last_resume) {
                auto &l = *r.last_resume;
                o << "{\"result\": " << q(l.result) << ", \"message\": " << q(l.message) << ", \"device\": "
                  << (l.device.empty() ? "null" : q(l.device)) << ", \"time\": " << l.time << ", \"warnings\": [";
                for (size_t i = 0; i < l.warnings.size(); i++)
                        o << (i ? ", " : "") << q(l.warnings[i]);
                o << "]}";
        } else {
                o << "null";
        }
        o << ",\n  \"last_hibernate\": ";
        if (r.last_hibernate) {
                auto &l = *r.last_hibernate;
                o << "{\"result\": " << q(l.result) << ", \"mode\": " << q(l.device) << ", \"message\": " << q(l.message)
                  << ", \"time\": " << l.time << ", \"pagesets\": " << (l.pagesets.empty() ? "null" : q(l.pagesets))
                  << ", \"pageset2_pages\": " << opt_num(l.pageset2_pages)
                  << ", \"workingset\": " << (l.workingset.empty() ? "null" : q(l.workingset))
                  << ", \"prefetch\": " << (l.prefetch.empty() ? "null" : q(l.prefetch)) << "}";
        } else {
                o << "null";
        }
        auto &p = r.pagesets;
        o << ",\n  \"pagesets\": {\"supported\": " << (p.kernel.supported ? "true" : "false") << ", \"kernel\": "
          << (p.kernel.supported ? q(pagesets_name(p.kernel.selected)) : "null") << ", \"config\": "
          << q(pagesets_pref_name(p.config)) << ", \"mode\": " << q(pagesets_name(p.decision.mode))
          << ", \"fallback\": " << (p.decision.fallback ? "true" : "false") << ", \"reason\": " << q(p.decision.why)
          << ", \"image_bytes\": "
          << opt_num(r.two_pageset_estimate ? std::optional<uint64_t>(r.two_pageset_estimate->image) : std::nullopt)
          << ", \"last_pageset2_pages\": " << opt_num(p.kernel.last_pageset2_pages) << ", \"error\": "
          << (p.kernel_error.empty() ? "null" : q(p.kernel_error)) << "}";
        o << ",\n  \"notes\": [";
        for (size_t i = 0; i < r.notes.size(); i++)
                o << (i ? ", " : "") << q(r.notes[i]);
        o << "]\n}\n";
        return o.str();
}

std::string render_text(const Report &r, bool color, bool verbose)
{
        auto paint = [&](const char *code, const std::string &s) {
                return color ? std::string("\x1b[") + code + "m" + s + "\x1b[0m" : s;
        };
        std::ostringstream o;
        size_t fails = 0, warns = 0;
        // The id column: the longest id plus one space (at least 15 wide).
        size_t width = 15;
        for (auto &c : r.checks)
                width = std::max(width, c.id.size() + 1);
        for (auto &c : r.checks) {
                std::string tag;
                switch (c.status) {
                case CheckStatus::Pass: tag = paint("32", "PASS"); break;
                case CheckStatus::Warn: tag = paint("33", "WARN"); warns++; break;
                case CheckStatus::Fail: tag = paint("1;31", "FAIL"); fails++; break;
                case CheckStatus::Skip: tag = paint("2", "SKIP"); break;
                }
                std::string id = c.id;
                id.resize(width, ' ');
                o << tag << "  " << id << c.summary << "\n";
                bool show_detail = verbose || c.status == CheckStatus::Skip ||
                                   (c.status != CheckStatus::Pass && c.id == "image");
                if (show_detail && !c.detail.empty())
                        o << "      " << std::string(width, ' ') << c.detail << "\n";
                if ((c.status == CheckStatus::Fail || c.status == CheckStatus::Warn) && !c.remedy.empty())
                        o << "      " << std::string(width, ' ') << paint("1", "→ ") << c.remedy << "\n";
        }
        for (auto &n : r.notes)
                o << "note: " << n << "\n";
        if (r.last_resume)
                o << "Last resume attempt: " << r.last_resume->result << ": " << r.last_resume->message << "\n";
        if (r.last_hibernate) {
                auto &l = *r.last_hibernate;
                o << "Last hibernation: " << l.result << ": " << l.message;
                if (!l.pagesets.empty())
                        o << " (pagesets: " << l.pagesets
                          << (l.pageset2_pages ? ", " + std::to_string(*l.pageset2_pages) + " pages in pageset 2" : "")
                          << ")";
                o << "\n";
                if (!l.workingset.empty())
                        o << "  working set: " << l.workingset << "\n";
                if (!l.prefetch.empty())
                        o << "  prefetch: " << l.prefetch << "\n";
        }
        if (fails)
                o << paint("1;31", "Hibernation will not work") << ": " << fails << " check" << (fails == 1 ? "" : "s")
                  << " failed" << (warns ? ", " + std::to_string(warns) + " warning" + (warns == 1 ? "" : "s") : "")
                  << ".\n";
        else if (r.undetermined())
                o << paint("33", "Cannot tell whether hibernation works") << ": essential checks were skipped (run as "
                  << "root?).\n";
        else if (warns)
                o << paint("33", "Hibernation should work") << ", with " << warns << " warning" << (warns == 1 ? "" : "s")
                  << ".\n";
        else
                o << paint("32", "Hibernation should work") << ".\n";
        return o.str();
}

}  // namespace ht
