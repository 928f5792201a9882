/* SPDX-License-Identifier: GPL-2.0 */
#include "explorer.hpp"

#include <algorithm>

namespace mmrace {

bool sameRace(const Finding &a, const Finding &b)
{
	if (a.invariant != b.invariant)
		return false;
	if (a.steps.empty() || b.steps.empty())
		return a.steps.empty() && b.steps.empty() && a.title == b.title;
	auto labels = [](const Finding &f) {
		std::vector<std::string> l;
		for (const StepRef &s : f.steps)
			l.push_back(s.what);
		std::sort(l.begin(), l.end());
		return l;
	};
	return labels(a) == labels(b);
}

bool addHarmful(ExploreResult &result, const Counterexample &c)
{
	if (!result.harmful) {
		result.harmful = c;
		return true;
	}
	if (sameRace(result.harmful->finding, c.finding))
		return false;
	for (const Counterexample &m : result.moreHarmful)
		if (sameRace(m.finding, c.finding))
			return false;
	result.moreHarmful.push_back(c);
	return true;
}

ExploreResult explore(Program &program, Strategy &strategy, const ExploreOptions &options)
{
	using Clock = std::chrono::steady_clock;
	ExploreResult result;
	ExploreStats &st = result.stats;
	StackPool stacks(kFiberStackSize);
	const auto start = Clock::now();
	auto lastProgress = start;

	for (;;) {
		if (options.interrupt && options.interrupt->load(std::memory_order_relaxed)) {
			st.stoppedBy = "interrupt";
			break;
		}
		if (options.stop && options.stop()) {
			st.stoppedBy = "stopped";
			break;
		}
		if (options.maxExecutions && st.executions >= options.maxExecutions) {
			st.stoppedBy = "max-executions";
			break;
		}
		if (options.timeBudgetSeconds > 0 &&
		    std::chrono::duration<double>(Clock::now() - start).count() >=
			    options.timeBudgetSeconds) {
			st.stoppedBy = "time-budget";
			break;
		}
		if (!strategy.beginExecution()) {
			st.exhausted = true;
			st.stoppedBy = "exhausted";
			break;
		}
		if (options.sharedExecutions &&
		    options.sharedExecutions->fetch_add(1) >= options.sharedExecutionsMax) {
			st.stoppedBy = "stopped";
			break;
		}
		++st.executions;
		Execution exec(strategy, stacks, options.limits);
		Outcome outcome = exec.run(program);
		st.steps += exec.steps();
		st.maxDepth = std::max(st.maxDepth, exec.steps());
		if (outcome == Outcome::Complete)
			++st.complete;
		if (outcome == Outcome::Stopped) {
			if (strategy.stopIsPrune()) {
				++st.pruned;
			} else {
				result.divergence = exec.stopReason();
				st.stoppedBy = "diverged";
				break;
			}
		}
		for (const Finding &f : exec.findings()) {
			if (f.severity == Severity::Harmful) {
				if (!result.harmful || options.keepGoing)
					addHarmful(result, Counterexample{f, outcome, exec.choices(),
									  st.executions});
				continue;
			}
			++st.benignFindings;
			bool seen = std::any_of(result.benign.begin(), result.benign.end(),
						[&](const Counterexample &c) {
							return c.finding.invariant == f.invariant;
						});
			if (!seen)
				result.benign.push_back({f, outcome, exec.choices(), st.executions});
		}
		if (result.harmful && !options.keepGoing) {
			st.stoppedBy = "violation";
			break;
		}
		if (options.progress) {
			auto now = Clock::now();
			if (now - lastProgress >= std::chrono::seconds(1)) {
				lastProgress = now;
				st.seconds = std::chrono::duration<double>(now - start).count();
				options.progress(st);
			}
		}
	}
	st.seconds = std::chrono::duration<double>(Clock::now() - start).count();
	return result;
}

} // namespace mmrace
