// SPDX-License-Identifier: LGPL-2.1-or-later
// Text and JSON renderings of a Report. The JSON shape is a stable contract
// (man/hibernate-check.8, JSON OUTPUT).
#include <algorithm>
#include <sstream>

#include "checks.hh"
#include "estimate.hh"
#include "json.hh"

namespace ht {

namespace {

Json opt_num(const std::optional<uint64_t> &v)
{
        return v ? Json(*v) : Json(nullptr);
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

Json report_json(const Report &r)
{
        Json j = json_document();
        j["ready"] = r.ready();
        Json checks = Json::array();
        for (auto &c : r.checks) {
                Json e = {{"id", c.id}, {"status", check_status_name(c.status)}, {"summary", c.summary}};
                if (!c.detail.empty())
                        e["detail"] = c.detail;
                if (!c.remedy.empty())
                        e["remedy"] = c.remedy;
                checks.push_back(std::move(e));
        }
        j["checks"] = std::move(checks);
        j["resume"] = {{"device", json_opt(r.resume_device)},
                       {"uuid", json_opt(r.resume_uuid)},
                       {"offset", opt_num(r.resume_offset)},
                       {"source", json_opt(r.resume_source)}};
        Json swaps = Json::array();
        for (auto &s : r.swaps)
                swaps.push_back({{"path", s.entry.path},
                                 {"type", kind_name(s.entry.kind)},
                                 {"size_bytes", s.entry.size_bytes},
                                 {"used_bytes", s.entry.used_bytes},
                                 {"priority", s.entry.priority},
                                 {"uuid", json_opt(s.uuid)},
                                 {"deleted", s.entry.deleted}});
        j["swap"] = std::move(swaps);
        j["kernel"] = {{"release", json_nonempty(r.kernel_release)},
                       {"hibernation", r.kernel_hibernation},
                       {"modes", json_list(r.kernel_modes)}};
        if (!r.image) {
                j["image"] = nullptr;
        } else {
                auto &im = *r.image;
                Json e = {{"device", im.device},
                          {"header_offset", im.header_offset},
                          {"signature", im.header.sig},
                          {"original_signature", im.header.orig_sig},
                          {"flags", im.header.flags},
                          {"flag_names", json_list(describe_flags(im.header.flags))},
                          {"map_page", im.header.image}};
                if (im.info) {
                        auto &in = *im.info;
                        e["pages"] = in.pages;
                        e["data_pages"] = in.image_pages;
                        e["size_bytes"] = in.size;
                        e["num_physpages"] = in.num_physpages;
                        e["cpus"] = in.cpus;
                        e["release"] = json_nonempty(in.release);
                        e["arch_record"] = in.x86_64_arch_record ? Json("x86_64") : Json(nullptr);
                        e["pageset2_pages"] = in.ps2_pages;
                        e["pageset2_map_page"] = in.ps2_start;
                }
                e["problem"] = json_nonempty(im.problem);
                if (im.record) {
                        auto &rc = *im.record;
                        Json fss = Json::array();
                        for (auto &f : rc.filesystems)
                                fss.push_back({{"uuid", f.uuid_str()},
                                               {"kind", fs_kind_name(f.kind)},
                                               {"covered", fs_kind_covered(f.kind)},
                                               {"mount_count", f.mount_count}});
                        e["record"] = {{"kernel", rc.kernel_release},
                                       {"boot_entry", json_nonempty(rc.boot_entry)},
                                       {"created", rc.created},
                                       {"filesystems", std::move(fss)}};
                        if (rc.grubenv)
                                e["record"]["grubenv"] = {{"uuid", rc.grubenv->fs_uuid_str()},
                                                          {"offset", rc.grubenv->offset}};
                        else
                                e["record"]["grubenv"] = nullptr;
                        e["record"]["reboots"] = rc.reboots;
                } else {
                        e["record"] = nullptr;
                }
                e["record_problem"] = json_nonempty(im.record_problem);
                j["image"] = std::move(e);
        }
        if (r.last_resume) {
                auto &l = *r.last_resume;
                j["last_resume"] = {{"result", l.result},
                                    {"message", l.message},
                                    {"device", json_nonempty(l.device)},
                                    {"time", l.time},
                                    {"warnings", json_list(l.warnings)}};
        } else {
                j["last_resume"] = nullptr;
        }
        if (r.last_hibernate) {
                auto &l = *r.last_hibernate;
                j["last_hibernate"] = {{"result", l.result},
                                       {"mode", l.device},
                                       {"message", l.message},
                                       {"time", l.time},
                                       {"pagesets", json_nonempty(l.pagesets)},
                                       {"pageset2_pages", opt_num(l.pageset2_pages)},
                                       {"workingset", json_nonempty(l.workingset)},
                                       {"prefetch", json_nonempty(l.prefetch)}};
        } else {
                j["last_hibernate"] = nullptr;
        }
        auto &p = r.pagesets;
        j["pagesets"] = {
                {"supported", p.kernel.supported},
                {"kernel", p.kernel.supported ? Json(pagesets_name(p.kernel.selected)) : Json(nullptr)},
                {"config", pagesets_pref_name(p.config)},
                {"mode", pagesets_name(p.decision.mode)},
                {"fallback", p.decision.fallback},
                {"reason", p.decision.why},
                {"image_bytes", opt_num(r.two_pageset_estimate ? std::optional<uint64_t>(r.two_pageset_estimate->image)
                                                                : std::nullopt)},
                {"last_pageset2_pages", opt_num(p.kernel.last_pageset2_pages)},
                {"error", json_nonempty(p.kernel_error)}};
        j["notes"] = json_list(r.notes);
        return j;
}

std::string render_json(const Report &r, JsonStyle style)
{
        return json_dump(report_json(r), style);
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
