#include "checks/host_probe_parse.h"

#include <gtest/gtest.h>

#include <random>

#include "checks/sql_identifier.h"

namespace pgw {
namespace {

TEST(ShellQuote, WrapsAndEscapesSingleQuotes) {
  EXPECT_EQ(sh_single_quote("/var/lib/pg"), "'/var/lib/pg'");
  EXPECT_EQ(sh_single_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(sh_single_quote(""), "''");
  EXPECT_EQ(sh_single_quote("$(rm -rf /);`x`"), "'$(rm -rf /);`x`'");
}

TEST(RemotePath, AcceptsAbsolutePathsOnly) {
  EXPECT_FALSE(invalid_remote_path("/Library/PostgreSQL/18/data"));
  EXPECT_FALSE(invalid_remote_path("/Users/x/My Files/it's"));  // quoted later
  EXPECT_TRUE(invalid_remote_path(""));
  EXPECT_TRUE(invalid_remote_path("relative/path"));
  EXPECT_TRUE(invalid_remote_path("/a\nrm -rf /"));
}

TEST(RemoteGlob, AllowsWildcardsButNoShellSyntax) {
  EXPECT_FALSE(invalid_remote_glob("/Users/x/AYA/backups/aya_rag_*.sql*"));
  EXPECT_FALSE(invalid_remote_glob("/b/dump-202?-[0-9][!x].sql.gz"));
  for (const char* bad : {"/b/*; touch /tmp/x", "/b/$(id)", "/b/`id`", "/b/a b", "/b/a|b", "/b/a&",
                          "/b/a>c", "/b/'x'", "/b/\"x\"", "/b/a\\b", "/b/{a,b}", "/b/~x", "/b/#",
                          "backups/*.sql", "/b/a\n"}) {
    auto why = invalid_remote_glob(bad);
    EXPECT_TRUE(why) << bad;
  }
}

TEST(Commands, RunUnderBinShWithQuotedPaths) {
  EXPECT_EQ(filesystem_command("/data"), "/bin/sh -c 'df -Pk '\\''/data'\\'''");
  EXPECT_NE(mode_command("/d").find("stat -c %a"), std::string::npos);
  EXPECT_NE(mode_command("/d").find("stat -f %Lp"), std::string::npos);
  EXPECT_EQ(newest_file_command("/b/*.sql").rfind("/bin/sh -c 'set -- /b/*.sql;", 0), 0u);
}

TEST(ParseFilesystem, GnuOutput) {
  auto fs = parse_filesystem(
      "Filesystem     1024-blocks     Used Available Capacity Mounted on\n"
      "/dev/sda1        102400000 40000000  57000000      42% /\n");
  ASSERT_TRUE(fs);
  EXPECT_DOUBLE_EQ(fs->size_bytes, 102400000.0 * 1024);
  EXPECT_DOUBLE_EQ(fs->free_bytes, 57000000.0 * 1024);
}

TEST(ParseFilesystem, MacOutputWithSpacesInNames) {
  auto fs = parse_filesystem(
      "Filesystem 1024-blocks Used Available Capacity  Mounted on\r\n"
      "map auto_home 0 0 0 100% /System/Volumes/Data/home\r\n");
  ASSERT_TRUE(fs);
  EXPECT_EQ(fs->size_bytes, 0);
  auto vol = parse_filesystem(
      "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
      "/dev/disk3s5 971350180 651239000 300000000 69% /Volumes/My Disk 2\n");
  ASSERT_TRUE(vol);
  EXPECT_DOUBLE_EQ(vol->free_bytes, 300000000.0 * 1024);
}

TEST(ParseFilesystem, RejectsGarbage) {
  EXPECT_FALSE(parse_filesystem(""));
  EXPECT_FALSE(parse_filesystem("df: /nope: No such file or directory\n"));
  EXPECT_FALSE(parse_filesystem("Filesystem 1024-blocks Used Available Capacity Mounted on\n"));
  EXPECT_FALSE(parse_filesystem("Filesystem 1024-blocks Used Available Capacity Mounted on\n"
                                "/dev/x 10 5 x 50% /\n"));
  EXPECT_FALSE(parse_filesystem("Filesystem 1024-blocks Used Available Capacity Mounted on\n"
                                "/dev/x -10 5 5 50% /\n"));
  EXPECT_FALSE(parse_filesystem("Filesystem 1024-blocks Used Available Capacity Mounted on\n"
                                "/dev/x 10 5 5 50%\n"));  // no mount point
  EXPECT_FALSE(parse_filesystem("Filesystem 1024-blocks Used Available Capacity Mounted on\n"
                                "/dev/x 99999999999999999999 5 5 50% /\n"));
  EXPECT_FALSE(parse_filesystem("Filesystem 1024-blocks Used Available Capacity Mounted on\n"
                                "/dev/x 10 5 5 50% /\n/dev/y 10 5 5 50% /y\n"));
}

TEST(ParseMode, OctalBits) {
  EXPECT_EQ(parse_mode("700\n"), 0700);
  EXPECT_EQ(parse_mode("755"), 0755);
  EXPECT_EQ(parse_mode("2750\n"), 02750);
  EXPECT_EQ(parse_mode("0\n"), 0);
  EXPECT_FALSE(parse_mode(""));
  EXPECT_FALSE(parse_mode("789\n"));
  EXPECT_FALSE(parse_mode("rwx------\n"));
  EXPECT_FALSE(parse_mode("700\n755\n"));
  EXPECT_FALSE(parse_mode("17777\n"));
  EXPECT_FALSE(parse_mode(" 700\n"));
}

TEST(ParseNewestFile, NowAndNewest) {
  auto r = parse_newest_file("now 1700000000\nnewest 1699996400\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->now, 1700000000);
  ASSERT_TRUE(r->newest_mtime);
  EXPECT_EQ(*r->newest_mtime, 1699996400);
  auto none = parse_newest_file("now 1700000000\nnewest none\n");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->newest_mtime);
}

TEST(ParseNewestFile, RejectsGarbage) {
  EXPECT_FALSE(parse_newest_file(""));
  EXPECT_FALSE(parse_newest_file("now 1700000000\n"));
  EXPECT_FALSE(parse_newest_file("now 1700000000\nnewest \n"));      // stat failed for all
  EXPECT_FALSE(parse_newest_file("now 1700000000\nnewest ?\n"));
  EXPECT_FALSE(parse_newest_file("now -1\nnewest 5\n"));
  EXPECT_FALSE(parse_newest_file("now 1\nnewest 5\nextra\n"));
  EXPECT_FALSE(parse_newest_file("newest 5\nnow 1\n"));
  EXPECT_FALSE(parse_newest_file("now  1\nnewest 5\n"));
  EXPECT_FALSE(parse_newest_file("now 99999999999999999999\nnewest 5\n"));
}

// Cheap in-process fuzzing: random bytes and mutations of valid outputs must
// never crash a parser (run under the sanitizer build to catch UB).
TEST(Parsers, SurviveRandomInput) {
  std::mt19937 rng(12345);
  const std::string seeds[] = {
      "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x 10 5 5 50% /\n",
      "700\n", "now 1700000000\nnewest 1699996400\n", "now 1\nnewest none\n"};
  const std::string alphabet = "0123456789 %\n\r\t/abcnowestFilesystem-\0\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[i % 4];
    int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        case 1: if (pos < s.size()) s.erase(pos, 1); break;
        default: if (pos < s.size()) s[pos] = static_cast<char>(rng() % 256); break;
      }
    }
    (void)parse_filesystem(s);
    (void)parse_mode(s);
    (void)parse_newest_file(s);
    (void)invalid_remote_glob(s);
  }
  SUCCEED();
}

TEST(QuoteTableName, QuotesPlainIdentifiersOnly) {
  EXPECT_EQ(quote_table_name("write_queue"), "\"write_queue\"");
  EXPECT_EQ(quote_table_name("sync.write_queue"), "\"sync\".\"write_queue\"");
  EXPECT_EQ(quote_table_name("Queue$2"), "\"Queue$2\"");
  for (const char* bad : {"", ".", "a.", ".a", "a.b.c", "1abc", "write_queue; DROP TABLE x",
                          "a\"b", "a b", "a-b", "\"q\""})
    EXPECT_FALSE(quote_table_name(bad)) << bad;
  EXPECT_FALSE(quote_table_name(std::string(64, 'a')));
  EXPECT_TRUE(quote_table_name(std::string(63, 'a')));
}

}  // namespace
}  // namespace pgw
