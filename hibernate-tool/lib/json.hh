// SPDX-License-Identifier: LGPL-2.1-or-later
// The one JSON emitter of every program (nlohmann-json, Debian's nlohmann-json3-dev:
// header-only, so the binary in the initramfs gains no library).
//
// Every document starts with "version" (the program's version) and keeps its keys in the
// order they were added, which is the order the man pages document. Strings that are not
// valid UTF-8 (file names, command lines read from disk) are written with U+FFFD in place
// of the bad bytes instead of failing: a report must never be lost over one byte.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ht {

using Json = nlohmann::ordered_json;

// --json=pretty|short|off as systemd's tools spell it; a plain --json means the program's
// own default style (hibernate-check: pretty; hibernate-tool verbs and setup: short).
enum class JsonStyle { Off, Short, Pretty };

// "pretty", "short" or "off"; nullopt for anything else.
std::optional<JsonStyle> parse_json_style(const std::string &s);

// A new document: {"version": "<program version>"}.
Json json_document();

// The document as text in the given style, with a final newline. Never throws.
std::string json_dump(const Json &doc, JsonStyle style);

// null for an absent value.
inline Json json_opt(const std::optional<std::string> &v)
{
        return v ? Json(*v) : Json(nullptr);
}
// null for an empty string (what the text output shows as "none").
inline Json json_nonempty(const std::string &v)
{
        return v.empty() ? Json(nullptr) : Json(v);
}
inline Json json_list(const std::vector<std::string> &v)
{
        Json a = Json::array();
        for (auto &s : v)
                a.push_back(s);
        return a;
}

}  // namespace ht
