// A throw-away fixture root for unit tests (removed with the object).
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

struct TempRoot {
        std::string dir;
        TempRoot()
        {
                char tmpl[] = "/tmp/ht-unit-XXXXXX";
                dir = ::mkdtemp(tmpl);
        }
        ~TempRoot() { (void) std::system(("rm -rf '" + dir + "'").c_str()); }
        void mkdir(const std::string &p) const { (void) std::system(("mkdir -p '" + dir + p + "'").c_str()); }
        void write(const std::string &p, const std::string &s) const { std::ofstream(dir + p) << s; }
        void link(const std::string &target, const std::string &p) const { (void) ::symlink(target.c_str(), (dir + p).c_str()); }
};
