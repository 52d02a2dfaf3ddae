#include "kernel/core/options.h"

namespace cmdline {
namespace {

#define OPTION(GROUP, NAME, FIELD, KIND, DEFAULT, HELP)                                       \
  Option{NAME,                                                                                \
         [](const klib::Word& word, BootOptions& options) {                                   \
           return KIND::parse(word, options.GROUP.FIELD);                                     \
         },                                                                                   \
         &KIND::write_usage,                                                                  \
         [](fmt::Sink& out) {                                                                 \
           const KIND::Value value = DEFAULT;                                                 \
           KIND::write_value(out, value);                                                     \
         },                                                                                   \
         HELP, nullptr},
#define ALIAS(NAME, TARGET) \
  Option{NAME, nullptr, &Flag::write_usage, nullptr, "same as `" TARGET "`", TARGET},

constexpr Option kOptions[] = {
#include "kernel/core/options.inc"
};

#undef ALIAS
#undef OPTION

}  // namespace

OptionTable option_table() { return {kOptions, sizeof(kOptions) / sizeof(kOptions[0])}; }

}  // namespace cmdline
