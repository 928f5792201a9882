/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * A scenario as loaded and validated: the initial mm state, the threads and
 * their operations, the guard settings, exploration settings and the expected
 * outcome. Plain data; nothing here includes a JSON library.
 */

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mmrace::scenarios {

inline constexpr std::uint64_t kPageSize = 4096;

/*
 * Input bounds (docs/scenarios.md, "Limits"): a scenario is a tiny mm, and
 * these keep a mistaken or hostile file from building gigabytes of page
 * tables. The loader rejects more with exit 3.
 */
inline constexpr std::uint64_t kMaxVmaPages = std::uint64_t{1} << 18; /* 1 GiB: one PUD */
/* All VMAs and mremap destinations (new_len) together. */
inline constexpr std::uint64_t kMaxScenarioPages = std::uint64_t{1} << 19;
/* Any length parameter of an op (len, old_len, new_len), in bytes. */
inline constexpr std::uint64_t kMaxOpLength = kMaxVmaPages * kPageSize;
/* Per kind: anon_vmas, files, vmas, pages. */
inline constexpr std::size_t kMaxObjects = 4096;
inline constexpr std::size_t kMaxOpsPerThread = 256;
/* Messages that list what is allowed name at most this many. */
inline constexpr std::size_t kMaxListedNames = 8;

struct AnonVmaSpec {
	std::string name;
	std::string root;	/* name of the root anon_vma; equals name for a root */
};

struct VmaSpec {
	std::string name;
	std::uint64_t start = 0;	/* page aligned */
	std::uint64_t pages = 0;	/* > 0 */
	std::string anonVma;		/* may be empty: no anon_vma yet */
	std::vector<std::string> uffd;	/* "missing", "wp", "minor" */
	bool writable = true;		/* VM_WRITE */
	std::string file{};		/* MAP_PRIVATE of this file (state.files); empty: anon */
	std::uint64_t end() const { return start + pages * kPageSize; }
};

struct PageSpec {
	/*
	 * present:   a present PTE maps the folio (PageAnonExclusive)
	 * swapcache: a swap PTE; the folio sits in the swap cache, unmapped
	 * swapped:   a swap PTE; the data is only on the device (no folio)
	 */
	enum class State { Present, Swapcache, Swapped };
	std::uint64_t at = 0;	/* page aligned, inside a VMA */
	std::string folio;	/* a small anon folio, mapped here only (empty: swapped) */
	bool writable = true;
	std::uint64_t content = 0;	/* the page's data; 0 = derived from the folio */
	State state = State::Present;
	bool exclusive = true;		/* swap PTE: pte_swp_exclusive; present: PageAnonExclusive */
	bool writeback = false;		/* swapcache folio still under writeback */
	/* folio_test_large(): the folio stands for a large one where an
	 * operation refuses large folios (MREMAP_RELOCATE_ANON's forward
	 * pass); it is mapped by this one PTE like a small folio */
	bool large = false;
	/* present: a GUP reference taken before the scenario starts and held
	 * throughout by someone outside it (a driver): "pin" (FOLL_PIN) or
	 * "get" (FOLL_GET); empty: none */
	std::string gup{};
	/* present: threads whose CPU has the translation cached in its TLB */
	std::vector<std::string> tlb{};
	bool young = true;		/* present PTE: pte_young (accessed since aging) */
};

struct SwapSpec {
	std::uint64_t slots = 8;
	bool stableWrites = false;	/* SWP_STABLE_WRITES */
	bool synchronousIo = false;	/* SWP_SYNCHRONOUS_IO */
};

struct OpArg {
	std::string name;
	std::uint64_t number = 0;	/* Address, Length */
	std::string text;		/* Folio */
	std::vector<std::string> list;	/* LockList */
	bool flag = false;		/* Bool */
};

struct OpSpec {
	std::string op;
	std::vector<OpArg> args;

	const OpArg *arg(const std::string &name) const
	{
		for (const OpArg &a : args)
			if (a.name == name)
				return &a;
		return nullptr;
	}
};

struct ThreadSpec {
	std::string name;
	std::vector<OpSpec> ops;
};

struct ExploreSpec {
	std::string strategy;	/* empty: the CLI default */
	std::optional<std::uint64_t> maxExecutions;
	std::optional<std::uint64_t> maxSteps;
	std::optional<std::uint64_t> seed;
	/* CHESS-style bound for dpor (bounded POR) and dfs; other strategies
	 * explore the unbounded space */
	std::optional<unsigned> preemptionBound;
};

struct ExpectSpec {
	enum class Kind { None, Clean, Violation };
	Kind kind = Kind::None;
	std::string invariant;		/* Violation */
	std::string severity;		/* "", "harmful" or "benign" */
};

struct Scenario {
	std::string file;	/* where it was loaded from */
	std::string name;
	std::string description;
	std::string source;
	std::vector<AnonVmaSpec> anonVmas;
	std::vector<std::string> files;	/* shmem files mapped by file VMAs */
	std::vector<VmaSpec> vmas;
	std::vector<PageSpec> pages;
	SwapSpec swap;
	/* How TLB flushes reach other CPUs: false = IPIs (answered only with
	 * IRQs on), true = a broadcast invalidation (INVLPGB, paravirt) */
	bool tlbBroadcast = false;
	std::vector<ThreadSpec> threads;
	std::string preset;			/* empty: none */
	std::vector<std::string> guardsOff;	/* in addition to the preset's */
	ExploreSpec explore;
	ExpectSpec expect;
	std::string json;	/* the file's text, embedded in traces */
};

struct LoadError {
	std::string file;
	std::string path;	/* JSON path, e.g. "$.threads[1].ops[0].op" */
	int line = 0;		/* 1-based; 0 when unknown */
	int column = 0;
	std::string message;	/* what is wrong and what is allowed */

	/* "file:line:column: $.path: message" */
	std::string format() const;
};

using LoadResult = std::variant<Scenario, LoadError>;

LoadResult loadScenarioFile(const std::string &path);
/* `file` is only used in messages. */
LoadResult loadScenarioText(const std::string &text, const std::string &file);

} // namespace mmrace::scenarios
