#include "tools/cli/args.h"

#include "gtest/gtest.h"

namespace kiln::cli {
namespace {

ArgParser MakeParser() {
  ArgParser p("run MODEL [flags]", "Runs a model.", 1, 1);
  p.Flag({.name = "input", .value_name = "NAME=FILE", .help = "an input", .repeated = true});
  p.Flag({.name = "device", .value_name = "DEVICE", .help = "where", .default_value = "cpu",
          .choices = {"cpu", "cuda"}});
  p.Flag({.name = "quiet", .help = "less output"});
  return p;
}

TEST(ArgParserTest, ParsesRepeatedFlagsBothSpellingsAndDefaults) {
  auto a = MakeParser().Parse({"m.onnx", "--input=a=x.pb", "--input", "b=y.pb", "--quiet"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->positional, std::vector<std::string>{"m.onnx"});
  EXPECT_EQ(a->GetAll("input"), (std::vector<std::string>{"a=x.pb", "b=y.pb"}));
  EXPECT_EQ(a->Get("device"), "cpu");
  EXPECT_EQ(a->Get("quiet"), "true");
}

TEST(ArgParserTest, RejectsBadInputClearly) {
  ArgParser p = MakeParser();
  auto unknown = p.Parse({"m.onnx", "--nope"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("--nope"), absl::string_view::npos);
  auto choice = p.Parse({"m.onnx", "--device=tpu"});
  ASSERT_FALSE(choice.ok());
  EXPECT_NE(choice.status().message().find("cpu, cuda"), absl::string_view::npos);
  EXPECT_FALSE(p.Parse({"m.onnx", "--input"}).ok());         // Missing value.
  EXPECT_FALSE(p.Parse({}).ok());                             // Missing MODEL.
  EXPECT_FALSE(p.Parse({"a.onnx", "b.onnx"}).ok());           // Too many.
  EXPECT_FALSE(p.Parse({"m.onnx", "--quiet=maybe"}).ok());    // Switch with a value.
  EXPECT_FALSE(p.Parse({"m.onnx", "-x"}).ok());
}

TEST(ArgParserTest, HelpListsEveryFlagWithChoicesAndDefaults) {
  ArgParser p = MakeParser();
  auto a = p.Parse({"--help"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->help);
  std::string h = p.Help();
  for (const char* s : {"usage: kiln run MODEL [flags]", "--input=NAME=FILE", "[repeatable]",
                        "--device=DEVICE", "one of: cpu, cuda", "[default: cpu]", "--quiet"}) {
    EXPECT_NE(h.find(s), std::string::npos) << s;
  }
}

TEST(ArgParserTest, OneLetterFlagsTakeAttachedOrSeparateValues) {
  ArgParser p("dump MODEL [flags]", "Dumps.", 1, 1);
  p.Flag({.name = "O", .value_name = "LEVEL", .help = "level", .choices = {"0", "1", "2", "3"}});
  p.Flag({.name = "quiet", .help = "less output"});
  for (std::vector<std::string> args : {std::vector<std::string>{"m", "-O2"},
                                        std::vector<std::string>{"-O", "2", "m"},
                                        std::vector<std::string>{"m", "--O=2"}}) {
    auto a = p.Parse(args);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->Get("O"), "2");
    EXPECT_EQ(a->positional, std::vector<std::string>{"m"});
  }
  auto bad = p.Parse({"m", "-O7"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("-O7 is not one of 0, 1, 2, 3"), absl::string_view::npos)
      << bad.status();
  auto missing = p.Parse({"m", "-O"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("-O needs a value"), absl::string_view::npos);
  // Only declared one-letter flags with values are recognised; others stay unknown options.
  EXPECT_FALSE(p.Parse({"m", "-x"}).ok());
  EXPECT_FALSE(p.Parse({"m", "-q"}).ok());
  EXPECT_NE(p.Help().find("  -O LEVEL "), std::string::npos) << p.Help();
}

}  // namespace
}  // namespace kiln::cli
