/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Scale-out (docs/scale-out.md): `run --shard K/N --result FILE` writes what
 * share K explored as JSON, per subtree of the split run; `mmrace merge
 * FILE...` adds the shares up to the single-process totals and reports the
 * violation a single run would have reported first.
 */

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "runner.hpp"

namespace mmrace::cli
{

/* One scenario's run in a result file, with the traces it wrote. */
struct ShareRecord {
	const scenarios::Scenario *scenario = nullptr;
	const ScenarioRun *run = nullptr;
	std::string harmfulTrace;			 /* empty: none written */
	std::map<std::string, std::string> benignTraces; /* invariant -> path */
};

inline constexpr int kResultFormat = 1;
/* merge reads at most this much of a result file. */
inline constexpr std::size_t kMaxResultFileSize = std::size_t{256} << 20;

std::string shareResultJson(const std::vector<ShareRecord> &records, unsigned shardIndex,
			    unsigned shardCount);

int cmdMerge(const std::vector<std::string> &files);

} // namespace mmrace::cli
