#include "tools/cli/args.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln::cli {

std::string ParsedArgs::Get(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? std::string() : it->second.back();
}

absl::StatusOr<int64_t> ParsedArgs::GetPositive(const std::string& name, int64_t absent) const {
  if (!Has(name)) return absent;
  int64_t n;
  if (!absl::SimpleAtoi(Get(name), &n) || n <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " must be a positive integer"));
  }
  return n;
}

const std::vector<std::string>& ParsedArgs::GetAll(const std::string& name) const {
  static const std::vector<std::string> kEmpty;
  auto it = values.find(name);
  return it == values.end() ? kEmpty : it->second;
}

ArgParser::ArgParser(std::string usage, std::string description, int min_positional,
                     int max_positional)
    : usage_(std::move(usage)),
      description_(std::move(description)),
      min_positional_(min_positional),
      max_positional_(max_positional) {}

ArgParser& ArgParser::Flag(FlagSpec spec) {
  flags_.push_back(std::move(spec));
  return *this;
}

const FlagSpec* ArgParser::Find(const std::string& name) const {
  for (const FlagSpec& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::StatusOr<ParsedArgs> ArgParser::Parse(const std::vector<std::string>& args) const {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    std::string name, value;
    bool has_value = false;
    if (!absl::StartsWith(a, "--") || a == "--") {
      // A one-letter flag is written -O2 or -O 2.
      const FlagSpec* short_spec = a.size() > 1 && a[0] == '-' ? Find(a.substr(1, 1)) : nullptr;
      if (short_spec == nullptr || short_spec->value_name.empty()) {
        if (absl::StartsWith(a, "-") && a.size() > 1 && a != "-") {
          return absl::InvalidArgumentError(absl::StrCat("unknown option '", a, "'"));
        }
        out.positional.push_back(a);
        continue;
      }
      name = a.substr(1, 1);
      if (a.size() > 2) {
        value = a.substr(2);
        has_value = true;
      }
    } else {
      name = a.substr(2);
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
    }
    const FlagSpec* spec = Find(name);
    if (spec == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag '--", name, "'"));
    const std::string shown = name.size() == 1 ? "-" + name : "--" + name;
    if (spec->value_name.empty()) {
      if (has_value && value != "true" && value != "false") {
        return absl::InvalidArgumentError(absl::StrCat("flag ", shown, " takes no value"));
      }
      out.values[name] = {has_value ? value : "true"};
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag ", shown, " needs a value (", spec->value_name, ")"));
      }
      value = args[++i];
    }
    if (!spec->choices.empty() &&
        std::find(spec->choices.begin(), spec->choices.end(), value) == spec->choices.end()) {
      return absl::InvalidArgumentError(absl::StrCat(shown, name.size() == 1 ? "" : "=", value,
                                                     " is not one of ",
                                                     absl::StrJoin(spec->choices, ", ")));
    }
    auto& slot = out.values[name];
    if (!spec->repeated) slot.clear();
    slot.push_back(value);
  }
  for (const FlagSpec& f : flags_) {
    if (!out.values.contains(f.name) && !f.default_value.empty()) {
      out.values[f.name] = {f.default_value};
    }
  }
  if (out.help) return out;
  int n = static_cast<int>(out.positional.size());
  if (n < min_positional_ || (max_positional_ >= 0 && n > max_positional_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("wrong number of arguments; usage: kiln ", usage_));
  }
  return out;
}

std::string ArgParser::Help() const {
  std::string out = absl::StrCat("usage: kiln ", usage_, "\n\n", description_, "\n");
  if (!flags_.empty()) out += "\nflags:\n";
  for (const FlagSpec& f : flags_) {
    std::string left;
    if (f.name.size() == 1 && !f.value_name.empty()) {
      left = absl::StrCat("  -", f.name, " ", f.value_name);
    } else {
      left = absl::StrCat("  --", f.name);
      if (!f.value_name.empty()) absl::StrAppend(&left, "=", f.value_name);
    }
    std::string right = f.help;
    if (!f.choices.empty()) absl::StrAppend(&right, " (one of: ", absl::StrJoin(f.choices, ", "), ")");
    if (!f.default_value.empty()) absl::StrAppend(&right, " [default: ", f.default_value, "]");
    if (f.repeated) absl::StrAppend(&right, " [repeatable]");
    if (left.size() < 28) left.resize(28, ' ');
    else left += "\n" + std::string(28, ' ');
    absl::StrAppend(&out, left, right, "\n");
  }
  out += "  --help                    show this help\n";
  return out;
}

}  // namespace kiln::cli
