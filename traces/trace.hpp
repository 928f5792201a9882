/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * A trace: everything needed to re-execute one failing schedule and to tell
 * its story, self-contained (the scenario text is embedded). Written
 * atomically (temporary file + fsync + rename), read back for `replay` and `show`.
 */

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "scheduler/choice.hpp"

namespace mmrace::traces {

inline constexpr int kTraceVersion = 1;

struct TraceStep {
	std::uint64_t index = 0;
	std::string thread;
	std::string function;	/* kernel function */
	std::string what;	/* rest of the label */
	std::string access;	/* "write pte(0x200000)" */
	std::vector<std::string> locks;	/* held after the step */
};

struct TraceStepRef {
	std::uint64_t step = 0;
	std::string thread;
	std::string what;
};

struct TraceFinding {
	std::string invariant;
	std::string severity;	/* "harmful" / "benign" */
	std::string title;
	std::string message;
	std::vector<TraceStepRef> steps;
};

/* A lockdep dependency recorded by earlier executions of the run. */
struct LockEdge {
	int from = 0, to = 0;
	std::string task, fromName, toName, fromLabel, toLabel;
	std::uint64_t execution = 0;
};

/*
 * What the run the trace comes from evaluated (not only this execution):
 * the switched-off guards some execution reached and those none reached
 * (about which the run says nothing), and how many of its executions ran
 * to their end and had the end-state invariants checked.
 */
struct TraceCoverage {
	bool recorded = false;	/* absent in traces of replays and older traces */
	std::vector<std::string> guardsOffReached;
	std::vector<std::string> guardsOffNotReached;
	std::uint64_t executions = 0;
	std::uint64_t endStatesChecked = 0;
};

struct Trace {
	int version = kTraceVersion;
	std::string scenarioFile;
	std::string scenarioName;
	std::string scenarioJson;	/* the scenario file's text */
	std::string preset;
	std::vector<std::string> guardsOff;	/* effective, preset included */
	std::string strategy;
	std::uint64_t seed = 0;
	std::uint64_t execution = 0;	/* index of the execution in its run */
	std::uint64_t maxSteps = 0;
	std::string outcome;		/* execution outcome */
	ChoiceLog choices;
	std::vector<std::string> threads;
	std::vector<TraceStep> steps;
	TraceFinding violation;
	/* Lockdep's graph before this execution: replay starts from it. */
	std::vector<LockEdge> lockdep;
	TraceCoverage coverage;
};

std::string traceToJson(const Trace &trace);
/* Returns the trace or an error message naming the file and the problem. */
std::variant<Trace, std::string> traceFromJson(const std::string &text, const std::string &file);

/* A trace file is at most this large; loadTrace() refuses bigger ones. */
inline constexpr std::size_t kMaxTraceFileSize = std::size_t{64} << 20;
/* Characters of a scenario name (and of a suffix) kept in a trace file name. */
inline constexpr std::size_t kMaxTraceNameLength = 100;

/*
 * "NAME" + "SUFFIX" + ".trace.json" as a safe single path component: only
 * [A-Za-z0-9._-] (others become '_'), no leading dot, no "..", bounded
 * length, never empty. Joined to a directory it stays inside it.
 */
std::string traceFileName(const std::string &name, const std::string &suffix = "");

/*
 * Whether saveTrace(path) can succeed: `path` is absent, a regular file or a
 * symbolic link to one (never a directory, device, FIFO...), and its
 * directory exists and is writable. Returns an error message or empty.
 */
std::string checkTraceDestination(const std::string &path);

/* Writes `path` atomically: our own O_EXCL temporary file in the same
 * directory, fsync, rename; the temporary file is removed on every failure.
 * Returns an error message or empty. */
std::string saveTrace(const Trace &trace, const std::string &path);
/* The same for any text (reports): checkTraceDestination() rules apply. */
std::string writeFileAtomically(const std::string &path, const std::string &text);
/* Reads at most kMaxTraceFileSize bytes. */
std::variant<Trace, std::string> loadTrace(const std::string &path);

/* One column per thread, one row per step, in kernel terms. */
std::string renderRaceDiagram(const Trace &trace);
/* The violation report: title, message, the steps involved. */
std::string renderViolation(const TraceFinding &finding);

} // namespace mmrace::traces
