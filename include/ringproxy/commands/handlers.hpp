// Every command handler object, for the command table's rows to point at.
#pragma once

#include "ringproxy/commands/command_docs.hpp"
#include "ringproxy/commands/fanout.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/commands/scan.hpp"
#include "ringproxy/commands/single_key.hpp"
#include "ringproxy/commands/split.hpp"
#include "ringproxy/commands/transaction.hpp"
#include "ringproxy/commands/unsupported.hpp"
