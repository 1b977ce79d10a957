// Codecs of the option values that have a syntax of their own (an address,
// a backend line, a hash or distribution name, a file, etcd endpoints, a log
// level), for the option table. The generic ones (numbers with units,
// booleans, text, choices) are in option_table.hpp.
#pragma once

#include <string>

#include "ringproxy/options/option_table.hpp"

namespace ringproxy {

OptionCodec listen_codec();        // HOST:PORT or [IPV6]:PORT
OptionCodec backend_codec();       // HOST:PORT[:WEIGHT] [NAME], repeatable
OptionCodec hash_codec();          // a hash function's name
OptionCodec hash_tag_codec();      // two characters, or "" for none
OptionCodec distribution_codec();  // a distribution's name
// A file the proxy reads: empty would read as "not given".
OptionCodec file_codec(std::string ConfigFields::*field);
// A file the proxy writes (log, pid): empty means none.
OptionCodec output_file_codec(std::string ConfigFields::*field);
OptionCodec etcd_endpoints_codec();  // URL[,URL...]
OptionCodec log_level_codec();       // error | warn | info | debug

}  // namespace ringproxy
