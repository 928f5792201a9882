/* SPDX-License-Identifier: GPL-2.0 */
/* The scenario loader: positioned JSON parsing, validation, robustness. */
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "scenarios/json_pos.hpp"
#include "scenarios/scenario.hpp"

using namespace mmrace::scenarios;

namespace
{

std::string sourceRoot()
{
	const char *root = std::getenv("MMRACE_SOURCE_ROOT");
	return root ? root : ".";
}

std::string fixture(const std::string &rel)
{
	return sourceRoot() + "/tests/fixtures/" + rel;
}

std::string readText(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

/* By value: callers pass temporaries. */
Scenario ok(const LoadResult &r)
{
	if (const auto *e = std::get_if<LoadError>(&r))
		FAIL("unexpected load error: " << e->format());
	return std::get<Scenario>(r);
}

LoadError err(const LoadResult &r)
{
	if (!std::holds_alternative<LoadError>(r))
		FAIL("loaded although it should not have");
	return std::get<LoadError>(r);
}

JsonDocument parsed(std::string_view text)
{
	JsonParseResult r = JsonDocument::parse(text);
	if (const auto *e = std::get_if<JsonSyntaxError>(&r))
		FAIL("syntax error " << e->pos.line << ":" << e->pos.column << ": " << e->message);
	return std::move(std::get<JsonDocument>(r));
}

JsonSyntaxError syntaxError(std::string_view text)
{
	JsonParseResult r = JsonDocument::parse(text);
	if (!std::holds_alternative<JsonSyntaxError>(r))
		FAIL("parsed although it should not have: " << text);
	return std::get<JsonSyntaxError>(r);
}

bool samePos(TextPos p, int line, int column)
{
	return p.line == line && p.column == column;
}

/* The expected error of every file in tests/fixtures/bad/. */
struct BadFixture {
	const char *file;
	const char *message; /* a substring of LoadError::message */
	int line;
	const char *path;
};

const BadFixture kBadFixtures[] = {
    {"bad_page_state.json", "unknown page state \"zswapped\"; allowed: present, swapcache, swapped", 6,
     "$.state.pages[0].state"},
    {"bad_swap_key.json", "unknown key \"stable\" in \"swap\"; allowed: slots, stable_writes, "
     "synchronous_io", 6, "$.state.swap.stable"},
    {"exclusive_on_present.json", "a present page without PageAnonExclusive must be mapped read-only", 6,
     "$.state.pages[0].exclusive"},
    {"swapped_with_folio.json", "a \"swapped\" page has no folio", 8, "$.state.pages[1].folio"},
    {"too_many_swapped.json", "2 pages start swapped out but the swap device has only 1 slots", 6,
     "$.state.swap"},
    {"anon_vma_not_root.json", "root \"B\" is not a root anon_vma", 4, "$.state.anon_vmas[2].root"},
    {"bad_escape.json", "invalid escape '\\s'", 2, "$.name"},
    {"bad_lock_ref.json", "lock \"anon_vma:C\" names no anon_vma", 13,
     "$.threads[1].ops[0].locks[1]"},
    {"bad_strategy.json", "unknown strategy \"bfs\"; allowed: sleepset, dpor, optimal, dfs, random, pct", 16,
     "$.explore.strategy"},
    {"dst_not_registered.json", "UFFDIO_MOVE needs the destination registered with userfaultfd", 12,
     "$.threads[0].ops[0].dst"},
    {"duplicate_folio.json", "folio \"F\" is already mapped at 0x100000", 11,
     "$.state.pages[1].folio"},
    {"duplicate_key.json", "duplicate key \"pages\" (first at line 6:44)", 6,
     "$.state.vmas[0].pages"},
    {"duplicate_vma_name.json", "duplicate VMA name \"src\"", 7, "$.state.vmas[1].name"},
    /* khugepaged */
    {"file_not_listed.json", "file \"T\" is not listed in state.files; files: S", 6,
     "$.state.vmas[0].file"},
    {"retract_not_file_vma.json", "retract_page_tables needs an address in a file VMA", 11,
     "$.threads[0].ops[0].addr"},
    {"copy_not_registered.json", "UFFDIO_COPY needs the destination registered with userfaultfd", 11,
     "$.threads[0].ops[0].dst"},
    {"duplicate_file.json", "duplicate file name \"S\"", 4, "$.state.files[1]"},
    /* end khugepaged */
    {"empty_threads.json", "must list at least one thread", 11, "$.threads"},
    {"expect_clean_and_violation.json", "either \"clean\": true or \"violation\", not both", 16,
     "$.expect"},
    {"len_not_page_multiple.json", "\"len\" must be a multiple of the page size", 12,
     "$.threads[0].ops[0].len"},
    {"malformed_json.json", "expected ',' or '}' after object member", 3, "$"},
    {"missing_folio.json", "no folio \"G\" is placed by state.pages; folios: F", 13,
     "$.threads[1].ops[0].folio"},
    {"missing_op_param.json", "op \"uffdio_move\" needs parameter \"len\"", 12,
     "$.threads[0].ops[0]"},
    {"missing_threads.json", "missing required key \"threads\"", 1, "$"},
    {"move_range_outside_vma.json", "src range 0x100000 + 0x2000 does not lie inside one VMA", 12,
     "$.threads[0].ops[0].src"},
    {"mremap_fixed_without_new_addr.json", "mremap with \"fixed\" needs \"new_addr\"", 9,
     "$.threads[0].ops[0]"},
    {"mremap_new_addr_without_fixed.json", "\"new_addr\" is only used with \"fixed\"", 12,
     "$.threads[0].ops[0].new_addr"},
    {"munmap_wraps.json", "munmap range wraps", 9, "$.threads[0].ops[0].len"},
    {"negative_address.json", "must be an address", 9, "$.state.pages[0].at"},
    {"overlapping_vmas.json", "VMA dst [0xff000, 0x101000) overlaps VMA src [0x100000, 0x101000)",
     7, "$.state.vmas[1].start"},
    {"page_outside_vmas.json",
     "0x300000 is outside every VMA; VMAs: src [0x100000, 0x101000), dst [0x200000, "
     "0x201000)",
     9, "$.state.pages[1].at"},
    {"page_without_anon_vma.json", "an anon page needs its VMA to have an anon_vma", 9,
     "$.state.pages[0].at"},
    {"top_level_array.json", "a scenario must be a JSON object", 1, "$"},
    {"trailing_comma.json", "trailing comma", 9, "$.state.pages"},
    {"trailing_garbage.json", "after the top-level value", 18, "$"},
    {"unaligned_vma_start.json", "0x200800 is not page aligned", 7, "$.state.vmas[1].start"},
    {"unknown_guard.json",
     "unknown guard \"uffd_move.anon_vma_lock\"; allowed: folio_referenced.folio_trylock, ", 15,
     "$.guards_off[0]"},
    {"unknown_invariant.json", "unknown invariant \"rmap-walk-racy\"; allowed: deadlock, ", 16,
     "$.expect.violation"},
    {"unknown_op.json",
     "unknown op \"folio_referenced_one\"; allowed: folio_referenced, uffdio_move", 13,
     "$.threads[1].ops[0].op"},
    {"unknown_param.json",
     "unknown parameter \"flags\" for op \"uffdio_move\"; its parameters: src, dst, len", 12,
     "$.threads[0].ops[0].flags"},
    {"unknown_preset.json", "unknown preset \"seed-f\"; allowed: mainline, pre-seed-e, seed-e", 15,
     "$.preset"},
    {"unknown_top_key.json", "unknown key \"//expect_error\" in a scenario; allowed: name, ", 3,
     "$[\"//expect_error\"]"},
    {"unknown_vma_key.json", "unknown key \"size\" in a VMA; allowed: name, start, pages", 6,
     "$.state.vmas[0].size"},
    {"unterminated_string.json", "unterminated string", 13, "$.threads[1].ops[0].folio"},
    {"wrong_type_pages.json", "\"pages\" must be a positive integer, got the string \"1\"", 7,
     "$.state.vmas[1].pages"},
    {"reclaim_folio_and_addr.json", "op \"reclaim\" needs exactly one of \"folio\"", 9,
     "$.threads[0].ops[0]"},
    {"madvise_outside_vma.json",
     "madvise_dontneed range 0x100000 + 0x2000 does not lie inside one VMA", 9,
     "$.threads[0].ops[0].addr"},
    {"bound_with_sleepset.json",
     "\"preemption_bound\" works with strategy dpor (bounded POR) or dfs, not \"sleepset\"", 11,
     "$.explore.preemption_bound"},
};

/* A minimal valid scenario with the given threads array. */
std::string withThreads(const std::string &threads)
{
	return R"({"name": "t", "state": {}, "threads": )" + threads + "}";
}

/* Deterministic, so a failure reproduces. */
struct XorShift {
	std::uint64_t s;
	std::uint64_t next()
	{
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		return s;
	}
	std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

void checkRobust(const std::string &text, std::size_t lines)
{
	LoadResult r = loadScenarioText(text, "fuzz.json");
	if (const auto *e = std::get_if<LoadError>(&r)) {
		INFO(text);
		REQUIRE(!e->message.empty());
		REQUIRE(e->line >= 0);
		REQUIRE(static_cast<std::size_t>(e->line) <= lines + 1);
		REQUIRE(!e->format().empty());
	}
}

} // namespace

TEST_CASE("json: positions of keys and nested values", "[json]")
{
	/* Columns count code points; a tab is one column. */
	JsonDocument d = parsed("{\n  \"a\": [1, {\"b\": true}],\n\t\"c\": \"x\",\n"
				"  \"\xc3\xa9\": null, \"d e\": 2\n}");
	CHECK(samePos(d.valuePos("$"), 1, 1));
	CHECK(samePos(d.keyPos("$.a"), 2, 3));
	CHECK(samePos(d.valuePos("$.a"), 2, 8));
	CHECK(samePos(d.valuePos("$.a[0]"), 2, 9));
	CHECK(samePos(d.valuePos("$.a[1]"), 2, 12));
	CHECK(samePos(d.keyPos("$.a[1].b"), 2, 13));
	CHECK(samePos(d.valuePos("$.a[1].b"), 2, 18));
	CHECK(samePos(d.keyPos("$.c"), 3, 2));
	CHECK(samePos(d.valuePos("$.c"), 3, 7));
	CHECK(samePos(d.keyPos("$[\"\xc3\xa9\"]"), 4, 3));
	CHECK(samePos(d.keyPos("$[\"d e\"]"), 4, 14));
	CHECK(samePos(d.valuePos("$[\"d e\"]"), 4, 21));
	CHECK(samePos(d.valuePos("$.nope"), 0, 0));
	CHECK(d.dump() == R"({"a":[1,{"b":true}],"c":"x","é":null,"d e":2})");
}

TEST_CASE("json: path building", "[json]")
{
	CHECK(jsonPathMember("$", "threads") == "$.threads");
	CHECK(jsonPathIndex("$.threads", 1) == "$.threads[1]");
	CHECK(jsonPathMember("$", "_x9") == "$._x9");
	CHECK(jsonPathMember("$", "9x") == "$[\"9x\"]");
	CHECK(jsonPathMember("$", "a\"b") == "$[\"a\\\"b\"]");
	CHECK(jsonPathMember("$", "") == "$[\"\"]");
}

TEST_CASE("json: string escapes and surrogate pairs", "[json]")
{
	CHECK(parsed(R"("a\"b\\c\/d\b\f\n\r\t")").dump() == R"("a\"b\\c/d\b\f\n\r\t")");
	CHECK(parsed(R"("\u00e9\u4e2d")").dump() == "\"\xc3\xa9\xe4\xb8\xad\"");
	CHECK(parsed(R"("\ud83d\ude00")").dump() == "\"\xf0\x9f\x98\x80\"");
	CHECK(parsed(R"("\uD83D\uDE00")").dump() == "\"\xf0\x9f\x98\x80\"");
	CHECK(parsed("\"raw \xf0\x9f\x98\x80 UTF-8\"").dump() == "\"raw \xf0\x9f\x98\x80 UTF-8\"");

	CHECK_THAT(syntaxError(R"("\ud83d")").message,
		   Catch::Contains("unpaired UTF-16 surrogate"));
	CHECK_THAT(syntaxError(R"("\ud83dx")").message,
		   Catch::Contains("unpaired UTF-16 surrogate"));
	CHECK_THAT(syntaxError(R"("\ud83d\u0041")").message,
		   Catch::Contains("unpaired UTF-16 surrogate"));
	CHECK_THAT(syntaxError(R"("\ude00")").message,
		   Catch::Contains("unpaired UTF-16 surrogate"));
	CHECK_THAT(syntaxError(R"("\u12")").message, Catch::Contains("4 hex digits"));
	CHECK_THAT(syntaxError(R"("\x")").message, Catch::Contains("invalid escape '\\x'"));
	CHECK_THAT(syntaxError("\"a\tb\"").message, Catch::Contains("control character U+0009"));
	CHECK_THAT(syntaxError("\"\xc3\x28\"").message, Catch::Contains("invalid UTF-8"));
	CHECK_THAT(syntaxError("\"\xed\xa0\x80\"").message, Catch::Contains("invalid UTF-8"));
	CHECK_THAT(syntaxError("\"\xc0\xaf\"").message, Catch::Contains("invalid UTF-8"));

	JsonSyntaxError e = syntaxError("{\n  \"a\": \"open\n}");
	CHECK_THAT(e.message, Catch::Contains("unterminated string"));
	CHECK(e.pos.line == 2);
	CHECK(e.pos.column == 8); /* the opening quote */
	CHECK(e.path == "$.a");
	CHECK_THAT(syntaxError("\"abc").message, Catch::Contains("unterminated string"));
}

TEST_CASE("json: numbers", "[json]")
{
	CHECK(parsed("[0, -0, -12, 4096, 18446744073709551615, -9223372036854775808]").dump() ==
	      "[0,0,-12,4096,18446744073709551615,-9223372036854775808]");
	CHECK(parsed("[3.5e2, -0.25E-1, 1E+2, 2.5]").dump() == "[350.0,-0.025,100.0,2.5]");
	/* Too big for 64 bits: a double, as nlohmann does. */
	CHECK(parsed("18446744073709551616").dump() == "1.8446744073709552e+19");

	CHECK_THAT(syntaxError("012").message, Catch::Contains("leading zeros"));
	CHECK_THAT(syntaxError("-").message, Catch::Contains("expected a digit after '-'"));
	CHECK_THAT(syntaxError("1.").message, Catch::Contains("expected a digit after '.'"));
	CHECK_THAT(syntaxError("1e").message, Catch::Contains("exponent"));
	CHECK_THAT(syntaxError("1e999").message, Catch::Contains("out of range"));
	CHECK_THAT(syntaxError("0x1000").message,
		   Catch::Contains("hex numbers must be written as strings"));
	CHECK_THAT(syntaxError("12abc").message, Catch::Contains("invalid number"));
	CHECK_THAT(syntaxError("+1").message, Catch::Contains("expected a JSON value"));
}

TEST_CASE("json: syntax errors", "[json]")
{
	JsonSyntaxError dup = syntaxError("{\"a\": 1,\n \"b\": {\"x\": 1, \"x\": 2}}");
	CHECK_THAT(dup.message, Catch::Contains("duplicate key \"x\" (first at line 2:8)"));
	CHECK(samePos(dup.pos, 2, 16));
	CHECK(dup.path == "$.b.x");

	JsonSyntaxError comma = syntaxError("{\"a\": 1\n \"b\": 2}");
	CHECK_THAT(comma.message, Catch::Contains("expected ',' or '}' after object member"));
	CHECK(samePos(comma.pos, 2, 2));

	CHECK_THAT(syntaxError("[1 2]").message,
		   Catch::Contains("expected ',' or ']' after array element"));
	CHECK_THAT(syntaxError("{\"a\": 1,}").message, Catch::Contains("trailing comma"));
	CHECK_THAT(syntaxError("[1,]").message, Catch::Contains("trailing comma"));
	CHECK_THAT(syntaxError("{\"a\" 1}").message,
		   Catch::Contains("expected ':' after object key"));
	CHECK_THAT(syntaxError("{a: 1}").message, Catch::Contains("double-quoted object key"));
	CHECK_THAT(syntaxError("{'a': 1}").message, Catch::Contains("double quotes"));
	CHECK_THAT(syntaxError("// hi\n{}").message, Catch::Contains("no comments"));
	CHECK_THAT(syntaxError("{} x").message, Catch::Contains("after the top-level value"));
	CHECK_THAT(syntaxError("tru").message, Catch::Contains("expected a JSON value"));
	CHECK_THAT(syntaxError("True").message, Catch::Contains("lower case"));
	CHECK_THAT(syntaxError("  \n ").message, Catch::Contains("empty"));
	CHECK_THAT(syntaxError("{\"a\": ").message, Catch::Contains("unexpected end of input"));
	CHECK_THAT(syntaxError(std::string(300, '[')).message, Catch::Contains("nesting deeper"));
	CHECK_THAT(syntaxError(std::string_view("[\0]", 3)).message, Catch::Contains("byte 0x00"));

	/* A UTF-8 byte order mark is skipped; columns start after it. */
	JsonDocument bom = parsed("\xef\xbb\xbf{\"a\": 1}");
	CHECK(samePos(bom.keyPos("$.a"), 1, 2));
}

TEST_CASE("loader: every bad fixture fails with its expected error", "[loader]")
{
	std::set<std::string> listed;
	for (const BadFixture &f : kBadFixtures) {
		listed.insert(f.file);
		SECTION(f.file)
		{
			std::string path = fixture(std::string("bad/") + f.file);
			const LoadError e = err(loadScenarioFile(path));
			INFO(e.format());
			CHECK_THAT(e.message, Catch::Contains(f.message));
			CHECK(e.line == f.line);
			CHECK(e.column > 0);
			CHECK(e.path == f.path);
			CHECK(e.file == path);
			CHECK_THAT(e.format(),
				   Catch::StartsWith(path + ":" + std::to_string(f.line) + ":" +
						     std::to_string(e.column) + ": " + f.path +
						     ": "));
		}
	}
	SECTION("every file in bad/ has an expectation")
	{
		std::size_t files = 0;
		for (const auto &entry : std::filesystem::directory_iterator(fixture("bad"))) {
			INFO(entry.path().filename().string());
			CHECK(listed.count(entry.path().filename().string()) == 1);
			++files;
		}
		CHECK(files == listed.size());
		CHECK(files >= 12);
	}
}

TEST_CASE("loader: uffd-move-vs-folio-referenced loads field by field", "[loader]")
{
	std::string path = fixture("good/uffd_move_vs_folio_referenced.json");
	const Scenario s = ok(loadScenarioFile(path));
	CHECK(s.file == path);
	CHECK(s.json == readText(path));
	CHECK(s.name == "uffd-move-vs-folio-referenced");
	CHECK_THAT(s.description, Catch::StartsWith("UFFDIO_MOVE changes folio->mapping"));
	CHECK_THAT(s.source, Catch::StartsWith("LKML"));

	REQUIRE(s.anonVmas.size() == 2);
	CHECK(s.anonVmas[0].name == "A");
	CHECK(s.anonVmas[0].root == "A");
	CHECK(s.anonVmas[1].root == "B");

	REQUIRE(s.vmas.size() == 2);
	CHECK(s.vmas[0].name == "src");
	CHECK(s.vmas[0].start == 0x100000);
	CHECK(s.vmas[0].pages == 1);
	CHECK(s.vmas[0].end() == 0x101000);
	CHECK(s.vmas[0].anonVma == "A");
	CHECK(s.vmas[0].uffd.empty());
	CHECK(s.vmas[1].uffd == std::vector<std::string>{"missing"});

	REQUIRE(s.pages.size() == 1);
	CHECK(s.pages[0].at == 0x100000);
	CHECK(s.pages[0].folio == "F");
	CHECK(s.pages[0].writable);
	CHECK(s.pages[0].content == 0);

	REQUIRE(s.threads.size() == 2);
	CHECK(s.threads[0].name == "mover");
	REQUIRE(s.threads[0].ops.size() == 1);
	const OpSpec &move = s.threads[0].ops[0];
	CHECK(move.op == "uffdio_move");
	REQUIRE(move.arg("src"));
	CHECK(move.arg("src")->number == 0x100000);
	CHECK(move.arg("dst")->number == 0x200000);
	CHECK(move.arg("len")->number == 4096);
	CHECK(move.arg("nope") == nullptr);
	const OpSpec &walk = s.threads[1].ops[0];
	CHECK(walk.op == "folio_referenced");
	CHECK(walk.arg("folio")->text == "F");

	CHECK(s.preset == "pre-seed-e");
	CHECK(s.guardsOff == std::vector<std::string>{"uffd_move.anon_vma_write_lock",
						      "folio_lock_anon_vma_read.recheck_mapping"});
	CHECK(s.explore.strategy == "sleepset");
	CHECK(s.explore.maxExecutions == 100000u);
	CHECK(s.explore.maxSteps == 10000u);
	CHECK(s.explore.seed == 1u);
	CHECK(s.expect.kind == ExpectSpec::Kind::Violation);
	CHECK(s.expect.invariant == "rmap-walk-incomplete");
	CHECK(s.expect.severity == "benign");
}

TEST_CASE("loader: anon_vma trees, decimal addresses and lock lists", "[loader]")
{
	const Scenario s = ok(loadScenarioFile(fixture("good/abba_locks.json")));
	REQUIRE(s.anonVmas.size() == 2);
	CHECK(s.anonVmas[0].name == "child");
	CHECK(s.anonVmas[0].root == "root"); /* a root may be listed after its children */
	CHECK(s.anonVmas[1].root == "root");
	CHECK(s.vmas[0].start == 0x100000);
	CHECK(s.vmas[0].end() == 0x104000);
	CHECK(s.vmas[0].uffd == std::vector<std::string>{"wp", "minor"});
	REQUIRE(s.pages.size() == 2);
	CHECK(s.pages[0].at == 0x101000);
	CHECK_FALSE(s.pages[0].writable);
	CHECK(s.pages[0].content == 42);
	CHECK(s.pages[1].at == 0x103000);
	CHECK(s.pages[1].writable);
	REQUIRE(s.threads.size() == 2);
	CHECK(s.threads[0].ops[0].arg("locks")->list ==
	      std::vector<std::string>{"folio:F", "anon_vma:child"});
	REQUIRE(s.threads[1].ops.size() == 2);
	/* ptl addresses come out in one canonical spelling. */
	CHECK(s.threads[1].ops[1].arg("locks")->list ==
	      std::vector<std::string>{"mmap_lock", "ptl:0x103000", "ptl:0x100000"});
	CHECK(s.preset.empty());
	CHECK(s.expect.invariant == "lock-order");
	CHECK(s.expect.severity == "harmful");
}

TEST_CASE("loader: optional sections default to empty", "[loader]")
{
	const Scenario s = ok(loadScenarioFile(fixture("good/minimal_clean.json")));
	CHECK(s.anonVmas.empty());
	CHECK(s.vmas.empty());
	CHECK(s.pages.empty());
	CHECK(s.description.empty());
	CHECK(s.preset == "mainline");
	CHECK(s.guardsOff.empty());
	CHECK(s.explore.strategy.empty());
	CHECK_FALSE(s.explore.maxExecutions);
	CHECK_FALSE(s.explore.seed);
	CHECK(s.expect.kind == ExpectSpec::Kind::Clean);
}

TEST_CASE("loader: more rules", "[loader]")
{
	auto message = [](const std::string &text) {
		return err(loadScenarioText(text, "t.json")).message;
	};
	const std::string lock = R"({"op": "lock_sequence", "locks": ["mmap_lock"]})";

	SECTION("thread count")
	{
		std::string threads;
		for (int i = 0; i < 64; ++i) {
			threads += i ? "," : "[";
			threads +=
			    R"({"name": "t)" + std::to_string(i) + R"(", "ops": [)" + lock + "]}";
			if (i == 62)
				ok(loadScenarioText(withThreads(threads + "]"), "t.json"));
		}
		CHECK_THAT(message(withThreads(threads + "]")),
			   Catch::Contains("at most 63 threads"));
	}
	SECTION("threads and ops")
	{
		CHECK_THAT(message(withThreads(R"([{"name": "a", "ops": []}])")),
			   Catch::Contains("thread \"a\" has no ops"));
		CHECK_THAT(message(withThreads(R"([{"ops": [)" + lock + "]}]")),
			   Catch::Contains("missing required key \"name\" in a thread"));
		CHECK_THAT(message(withThreads(R"([{"name": "a", "ops": [)" + lock +
					       R"(]}, {"name": "a", "ops": [)" + lock + "]}]")),
			   Catch::Contains("duplicate thread name \"a\""));
		CHECK_THAT(message(withThreads(R"([{"name": "a", "ops": [{"locks": []}]}])")),
			   Catch::Contains("missing required key \"op\""));
		CHECK_THAT(
		    message(withThreads(
			R"([{"name": "a", "ops": [{"op": "lock_sequence", "locks": []}]}])")),
		    Catch::Contains("must list at least one lock"));
		CHECK_THAT(
		    message(withThreads(
			R"([{"name": "a", "ops": [{"op": "lock_sequence", "locks": ["rcu"]}]}])")),
		    Catch::Contains("unknown lock \"rcu\""));
		CHECK_THAT(
		    message(withThreads(
			R"([{"name": "a", "ops": [{"op": "lock_sequence", "locks": ["ptl:0x1000"]}]}])")),
		    Catch::Contains("outside every VMA; state.vmas is empty"));
		CHECK_THAT(message(withThreads("{}")),
			   Catch::Contains("must be an array, got an object"));
	}
	SECTION("expect and explore")
	{
		std::string base =
		    R"({"name": "t", "state": {}, "threads": [{"name": "a", "ops": [)" + lock +
		    "]}], ";
		CHECK_THAT(message(base + R"("expect": {"clean": false}})"),
			   Catch::Contains("\"clean\" must be true"));
		CHECK_THAT(message(base + R"("expect": {}})"), Catch::Contains("needs either"));
		CHECK_THAT(message(base + R"("expect": {"clean": true, "severity": "benign"}})"),
			   Catch::Contains("applies only to an expected violation"));
		CHECK_THAT(
		    message(base + R"("expect": {"violation": "deadlock", "severity": "bad"}})"),
		    Catch::Contains("unknown severity \"bad\""));
		CHECK_THAT(message(base + R"("explore": {"max_steps": 0}})"),
			   Catch::Contains("must be a positive integer, got 0"));
		CHECK_THAT(message(base + R"("explore": {"max_steps": 1.5}})"),
			   Catch::Contains("must be a positive integer"));
		CHECK_THAT(
		    message(base +
			    R"("guards_off": ["uffd_move.pte_same", "uffd_move.pte_same"]})"),
		    Catch::Contains("listed twice"));
	}
	SECTION("state")
	{
		auto state = [&](const std::string &s) {
			return message(R"({"name": "t", "state": )" + s +
				       R"(, "threads": [{"name": "a", "ops": [)" + lock + "]}]}");
		};
		CHECK_THAT(state(R"({"anon_vmas": [{"name": "B", "root": "X"}]})"),
			   Catch::Contains("root \"X\" is not a listed anon_vma"));
		CHECK_THAT(state(R"({"anon_vmas": ["A", "A"]})"),
			   Catch::Contains("duplicate anon_vma name \"A\""));
		CHECK_THAT(state(R"({"anon_vmas": [1]})"),
			   Catch::Contains("an anon_vma is a name"));
		CHECK_THAT(
		    state(R"({"vmas": [{"name": "v", "start": 0, "pages": 1, "anon_vma": "Z"}]})"),
		    Catch::Contains("anon_vma \"Z\" is not listed"));
		CHECK_THAT(state(R"({"vmas": [{"name": "v", "start": 0, "pages": 0}]})"),
			   Catch::Contains("must be a positive integer, got 0"));
		CHECK_THAT(
		    state(
			R"({"vmas": [{"name": "v", "start": "0xfffffffffffff000", "pages": 1}]})"),
		    Catch::Contains("runs past the end of the address space"));
		CHECK_THAT(
		    state(
			R"({"vmas": [{"name": "v", "start": "0x10000000000000000", "pages": 1}]})"),
		    Catch::Contains("must be a hex string"));
		CHECK_THAT(state(R"({"vmas": [{"name": "v", "start": "4096", "pages": 1}]})"),
			   Catch::Contains("must be a hex string"));
		CHECK_THAT(
		    state(
			R"({"vmas": [{"name": "v", "start": 0, "pages": 1, "uffd": ["async"]}]})"),
		    Catch::Contains("unknown uffd mode \"async\"; allowed: missing, wp, minor"));
		CHECK_THAT(
		    state(
			R"({"anon_vmas": ["A"], "vmas": [{"name": "v", "start": 0, "pages": 2, "anon_vma": "A"}], )"
			R"("pages": [{"at": 0, "folio": "F"}, {"at": "0x0", "folio": "G"}]})"),
		    Catch::Contains("a page is already placed at 0x0"));
		CHECK_THAT(state(R"({"pages": [{"at": 0, "folio": "F"}]})"),
			   Catch::Contains("outside every VMA; state.vmas is empty"));
		CHECK_THAT(state("[]"),
			   Catch::Contains("\"state\" must be an object, got an array"));
	}
	SECTION("uffdio_move ranges")
	{
		std::string s =
		    R"({"name": "t", "state": {"anon_vmas": ["A"], "vmas": [{"name": "v", "start": 0, "pages": 4, "anon_vma": "A", "uffd": ["missing"]}]}, "threads": [{"name": "a", "ops": [{"op": "uffdio_move", "src": 0, "dst": 4096, "len": 8192}]}]})";
		CHECK_THAT(message(s), Catch::Contains("overlap"));
	}
}

TEST_CASE("loader: files that cannot be read", "[loader]")
{
	const LoadError missing = err(loadScenarioFile(fixture("does-not-exist.json")));
	CHECK(missing.message == "cannot read: No such file or directory");
	CHECK(missing.line == 0);
	CHECK(missing.format() ==
	      fixture("does-not-exist.json") + ": cannot read: No such file or directory");
	const LoadError dir = err(loadScenarioFile(fixture("good")));
	CHECK(dir.message == "cannot read: Is a directory");
}

TEST_CASE("loader: LoadError::format", "[loader]")
{
	CHECK(LoadError{"f.json", "$.a", 3, 7, "bad"}.format() == "f.json:3:7: $.a: bad");
	CHECK(LoadError{"f.json", "$.a", 0, 0, "bad"}.format() == "f.json: $.a: bad");
	CHECK(LoadError{"f.json", "", 0, 0, "bad"}.format() == "f.json: bad");
}

TEST_CASE("loader: survives truncated and mutated input", "[loader][fuzz]")
{
	const char *name =
	    GENERATE("good/uffd_move_vs_folio_referenced.json", "good/abba_locks.json");
	const std::string good = readText(fixture(name));
	REQUIRE(good.size() > 500);
	std::size_t lines = 1;
	for (char c : good)
		lines += c == '\n';

	for (std::size_t n = 0; n <= good.size(); ++n)
		checkRobust(good.substr(0, n), lines);

	/* Characters that steer the parser and the validator into other paths. */
	const std::string interesting = "{}[]:,\"\\ \n0123456789abcdefxu-+.eE\x80\xc3\xff\t";
	XorShift rng{0x6d6d72616365};
	for (int round = 0; round < 10000; ++round) {
		std::string text = good;
		int edits = 1 + static_cast<int>(rng.below(3));
		for (int k = 0; k < edits && !text.empty(); ++k) {
			std::size_t at = rng.below(text.size());
			switch (rng.below(4)) {
			case 0:
				text[at] = static_cast<char>(text[at] ^ (1 << rng.below(8)));
				break;
			case 1:
				text.erase(at, 1 + rng.below(4));
				break;
			case 2:
				text.insert(at, 1, interesting[rng.below(interesting.size())]);
				break;
			case 3:
				text[at] = interesting[rng.below(interesting.size())];
				break;
			}
		}
		checkRobust(text, lines + static_cast<std::size_t>(edits));
	}
}

/* khugepaged */
TEST_CASE("loader: files, file VMAs, uffd modes and the khugepaged ops", "[loader]")
{
	const Scenario s = ok(loadScenarioText(R"({
  "name": "c1",
  "state": {
    "files": ["S"],
    "vmas": [{"name": "V", "start": "0x200000", "pages": 512, "file": "S", "uffd": ["missing", "wp"]},
             {"name": "a", "start": "0x600000", "pages": 1}]
  },
  "threads": [
    {"name": "k", "ops": [{"op": "retract_page_tables", "addr": "0x200000"}]},
    {"name": "u", "ops": [{"op": "uffdio_copy", "dst": "0x201000", "value": 7}]}
  ],
  "expect": {"clean": true}
})",
						  "c1.json"));
	REQUIRE(s.files == std::vector<std::string>{"S"});
	REQUIRE(s.vmas.size() == 2);
	CHECK(s.vmas[0].file == "S");
	CHECK(s.vmas[0].anonVma.empty());
	CHECK(s.vmas[0].uffd == std::vector<std::string>{"missing", "wp"});
	CHECK(s.vmas[1].file.empty());
	CHECK(s.threads[0].ops[0].arg("addr")->number == 0x200000);
	CHECK(s.threads[1].ops[0].arg("dst")->number == 0x201000);
	CHECK(s.threads[1].ops[0].arg("value")->number == 7);
}
/* end khugepaged */

/* Issue 16: a hostile or mistaken file is rejected at once, with a short message. */
TEST_CASE("loader: input sizes and counts are bounded", "[loader][hardening]")
{
	/* One VMA at 0x200000 with `pages` pages and `anonVmas` anon_vmas. */
	auto scenario = [](const std::string &vmas, std::size_t anonVmas = 1,
			   const std::string &ops = R"([{"op": "access", "addr": "0x200000"}])") {
		std::string names;
		for (std::size_t i = 0; i < anonVmas; ++i)
			names += (i ? ",\"A" : "\"A") + std::to_string(i) + "\"";
		return R"({"name": "big", "state": {"anon_vmas": [)" + names + R"(], "vmas": )" +
		       vmas + R"(}, "threads": [{"name": "t", "ops": )" + ops + "}]}";
	};
	auto vma = [](const std::string &name, const std::string &start, std::uint64_t pages) {
		return R"({"name": ")" + name + R"(", "start": ")" + start + R"(", "pages": )" +
		       std::to_string(pages) + R"(, "anon_vma": "A0"})";
	};

	SECTION("pages per VMA")
	{
		LoadError e = err(loadScenarioText(
		    scenario("[" + vma("v", "0x200000", 1099511627776) + "]"), "t.json"));
		CHECK(e.path == "$.state.vmas[0].pages");
		CHECK(e.message ==
		      "VMA \"v\" has 1099511627776 pages; at most 262144 (1 GiB) per VMA "
		      "are supported");
		ok(loadScenarioText(scenario("[" + vma("v", "0x200000", kMaxVmaPages) + "]"),
				    "t.json"));
	}
	SECTION("pages per scenario")
	{
		std::string vmas = "[" + vma("a", "0x40000000", kMaxVmaPages) + "," +
				   vma("b", "0x80000000", kMaxVmaPages) + "," +
				   vma("c", "0xc0000000", 1) + "]";
		LoadError e = err(loadScenarioText(
		    scenario(vmas, 1, R"([{"op": "access", "addr": "0x40000000"}])"), "t.json"));
		CHECK(e.path == "$.state.vmas[2].pages");
		CHECK_THAT(e.message, Catch::Contains("at most 524288 (2 GiB) per scenario"));
	}
	SECTION("op lengths and mremap destinations")
	{
		const std::string one = "[" + vma("v", "0x200000", 1) + "]";
		LoadError e = err(loadScenarioText(
		    scenario(one, 1,
			     R"([{"op": "munmap", "addr": "0x200000", "len": 1099511627776}])"),
		    "t.json"));
		CHECK(e.path == "$.threads[0].ops[0].len");
		CHECK_THAT(e.message, Catch::Contains("is too long; at most 0x40000000 (1 GiB)"));
		std::string mremaps = "[";
		for (int i = 0; i < 3; ++i)
			mremaps +=
			    std::string(i ? "," : "") +
			    R"({"op": "mremap", "old": "0x200000", "old_len": 4096, "new_len": 1073741824})";
		e = err(loadScenarioText(scenario(one, 1, mremaps + "]"), "t.json"));
		CHECK(e.path == "$.threads[0].ops[1].new_len");
		CHECK_THAT(e.message, Catch::Contains("at most 524288 (2 GiB) per scenario"));
	}
	SECTION("objects per kind, ops per thread, JSON values")
	{
		const std::string one = "[" + vma("v", "0x200000", 1) + "]";
		LoadError e = err(loadScenarioText(scenario(one, 5000), "t.json"));
		CHECK(e.path == "$.state.anon_vmas");
		CHECK(e.message == "at most 4096 anon_vmas are supported, got 5000");

		/* 600,000 names: stopped by the parser's bound, with a short message. */
		e = err(loadScenarioText(scenario(one, 600000), "t.json"));
		CHECK_THAT(e.message, Catch::StartsWith("more than 100000 JSON values"));
		CHECK(e.format().size() < 300);

		std::string ops = "[";
		for (std::size_t i = 0; i <= kMaxOpsPerThread; ++i)
			ops +=
			    std::string(i ? "," : "") + R"({"op": "access", "addr": "0x200000"})";
		e = err(loadScenarioText(scenario(one, 1, ops + "]"), "t.json"));
		CHECK(e.path == "$.threads[0].ops");
		CHECK(e.message == "at most 256 ops per thread are supported, got 257");
	}
	SECTION("messages list a few allowed names, not all")
	{
		std::string vmas =
		    R"([{"name": "v", "start": "0x200000", "pages": 1, "anon_vma": "nope"}])";
		LoadError e = err(loadScenarioText(scenario(vmas, 3000), "t.json"));
		CHECK_THAT(e.message,
			   Catch::Contains(
			       "anon_vmas: A0, A1, A2, A3, A4, A5, A6, A7, ... (3000 in all)"));
		CHECK(e.message.size() < 200);
	}
}
