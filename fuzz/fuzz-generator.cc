// SPDX-License-Identifier: LGPL-2.1-or-later
// The resume generator (generate_resume_units) and systemd's unit-name escaping
// (unit_name_path_escape / unit_name_from_path) on arbitrary kernel command lines and paths.
//
// Input: <kernel command line> [\0 <[resume] device of the configuration>]
// Invariants: an escaped unit name uses only systemd's unit-name alphabet, never "/", at
// most 255 bytes with its suffix; every generated file sits at a plain relative path; every
// generated unit line is a comment, a section header or Key=value with a plain key, so no
// value read from the command line can start a line, a section or a directive of its own.
#include <cstddef>
#include <cstdint>

#include "config.hh"
#include "generator.hh"
#include "parse.hh"

#include "fuzz-common.hh"

namespace {

bool unit_name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
               c == '.' || c == '\\' || c == '-' || c == '@';
}

void check_name(std::string_view path)
{
        auto e = ht::unit_name_path_escape(path);
        if (e) {
                FUZZ_CHECK(!e->empty());
                for (char c : *e)
                        FUZZ_CHECK(unit_name_char(c) && c != '@');
        }
        auto n = ht::unit_name_from_path(path, ".device");
        if (n) {
                FUZZ_CHECK(n->size() <= 255);
                FUZZ_CHECK(n->size() > 7 && n->compare(n->size() - 7, 7, ".device") == 0);
        }
}

void check_unit_text(const std::string &text)
{
        for (auto line : fuzz::split(text, '\n')) {
                for (char c : line)
                        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 || c == '\t');
                if (line.empty() || line[0] == '#' || line[0] == ';')
                        continue;
                if (line[0] == '[') {
                        FUZZ_CHECK(line.back() == ']');
                        continue;
                }
                size_t eq = line.find('=');
                FUZZ_CHECK(eq != std::string_view::npos && eq > 0);
                for (char c : line.substr(0, eq))
                        FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
        }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 8192)
                return 0;
        auto parts = fuzz::split(fuzz::as_view(data, size), '\0');
        std::string cmdline(parts[0]);
        ht::Config cfg;
        if (parts.size() > 1 && !parts[1].empty())
                cfg.resume_device = std::string(parts[1]);

        check_name(cmdline);
        ht::Cmdline cl(cmdline);
        if (auto r = cl.value("resume"))
                check_name(*r);

        ht::GeneratorOptions opt;
        opt.in_initrd = true;
        std::vector<ht::GeneratorMessage> msgs;
        if (!ht::resume_generator_applies(cl, opt, msgs))
                return 0;
        auto out = ht::generate_resume_units(cl, cfg, opt);
        for (auto &[path, f] : out.files) {
                FUZZ_CHECK(!path.empty() && path[0] != '/');
                for (auto comp : fuzz::split(path, '/'))
                        FUZZ_CHECK(!comp.empty() && comp != "." && comp != "..");
                if (!f.symlink)
                        check_unit_text(f.content);
        }
        for (auto &m : out.messages)
                FUZZ_CHECK(!m.text.empty());
        return 0;
}
