// SPDX-License-Identifier: LGPL-2.1-or-later
#include "json.hh"

#include "version.hh"

namespace ht {

std::optional<JsonStyle> parse_json_style(const std::string &s)
{
        if (s == "pretty")
                return JsonStyle::Pretty;
        if (s == "short")
                return JsonStyle::Short;
        if (s == "off")
                return JsonStyle::Off;
        return std::nullopt;
}

Json json_document()
{
        Json d = Json::object();
        d["version"] = HT_VERSION;
        return d;
}

std::string json_dump(const Json &doc, JsonStyle style)
{
        try {
                // error_handler_t::replace: invalid UTF-8 becomes U+FFFD; ensure_ascii off keeps
                // valid UTF-8 as it is.
                std::string s = doc.dump(style == JsonStyle::Pretty ? 2 : -1, ' ', false,
                                         Json::error_handler_t::replace);
                s += '\n';
                return s;
        } catch (const std::exception &e) {  // only std::bad_alloc is left; keep the contract
                return std::string("{\"version\":\"") + HT_VERSION + "\",\"error\":\"cannot render JSON\"}\n";
        }
}

}  // namespace ht
