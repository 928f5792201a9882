/* SPDX-License-Identifier: GPL-2.0 */
#include "random_program.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace mmrace::programs
{

namespace
{

/*
 * splitmix64, written out rather than std::mt19937 with a distribution,
 * whose outputs the standard leaves to the library: a seed must give the
 * same program everywhere.
 */
class Rng
{
public:
	explicit Rng(std::uint64_t seed) : state_(seed) {}

	std::uint64_t next()
	{
		std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}
	/* Uniform enough in [lo, hi] for these tiny ranges. */
	int range(int lo, int hi)
	{
		if (hi <= lo)
			return lo;
		return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
	}

private:
	std::uint64_t state_;
};

using Kind = RandomOp::Kind;

int opSteps(const RandomOp &op)
{
	switch (op.kind) {
	case Kind::Locked:
	case Kind::TryLocked:
	case Kind::ReadLocked:
	case Kind::WriteLocked:
	case Kind::TryReadLocked:
	case Kind::TryWriteLocked:
		return 2 + maxSteps(op.body);
	case Kind::IfEquals:
		return std::max(maxSteps(op.body), maxSteps(op.orElse));
	default:
		return 1;
	}
}

class Generator
{
public:
	Generator(std::uint64_t seed, int vars, int mutexes, int rwsems)
	    : rng_(seed), vars_(vars), mutexes_(mutexes), rwsems_(rwsems)
	{
	}

	/*
	 * Ops whose longest path takes exactly `budget` steps. `floor` is the lowest
	 * lock a blocking lock may take (one above every held lock), `held` the
	 * locks held here; rwsem s is lock mutexes_ + s.
	 */
	std::vector<RandomOp> block(int budget, int floor, std::uint32_t held, int depth)
	{
		std::vector<RandomOp> ops;
		while (budget > 0) {
			RandomOp op = pick(budget, floor, held, depth);
			budget -= opSteps(op);
			ops.push_back(std::move(op));
		}
		return ops;
	}

private:
	RandomOp pick(int budget, int floor, std::uint32_t held, int depth)
	{
		bool canLock = budget >= 2 && floor < mutexes_;
		std::vector<int> free;
		for (int m = 0; m < mutexes_; ++m)
			if (!(held & (1u << m)))
				free.push_back(m);
		bool canTry = budget >= 2 && !free.empty() && depth < 2;
		bool canBranch = depth < 2;
		const int locks = mutexes_ + rwsems_;
		bool canRwsem = budget >= 2 && std::max(floor, mutexes_) < locks;
		std::vector<int> freeRwsems;
		for (int r = 0; r < rwsems_; ++r)
			if (!(held & (1u << (mutexes_ + r))))
				freeRwsems.push_back(r);
		bool canTryRwsem = budget >= 2 && !freeRwsems.empty() && depth < 2;

		/*
		 * Weights: load 4, store 4, fetch_add 2, cas 2, lock 3, trylock 1,
		 * if 2, down_read 3, down_write 2, down_read_trylock 1,
		 * down_write_trylock 1 (none without rwsems: earlier programs stay).
		 */
		const int lockW = canLock ? 3 : 0, tryW = canTry ? 1 : 0, ifW = canBranch ? 2 : 0;
		const int readW = canRwsem ? 3 : 0, writeW = canRwsem ? 2 : 0;
		const int tryRwW = canTryRwsem ? 1 : 0;
		const int weights[] = {4, 4, 2, 2, lockW, tryW, ifW, readW, writeW, tryRwW, tryRwW};
		int total = 0;
		for (int w : weights)
			total += w;
		int r = rng_.range(0, total - 1);
		int k = 0;
		while (r >= weights[k])
			r -= weights[k++];

		RandomOp op;
		op.kind = static_cast<Kind>(k);
		switch (op.kind) {
		case Kind::Load:
			op.var = rng_.range(0, vars_ - 1);
			break;
		case Kind::Store:
			op.var = rng_.range(0, vars_ - 1);
			op.fromRegister = rng_.range(0, 1) == 1;
			op.value = op.fromRegister ? rng_.range(0, 2) : rng_.range(1, 3);
			break;
		case Kind::FetchAdd:
			op.var = rng_.range(0, vars_ - 1);
			op.value = rng_.range(1, 2);
			break;
		case Kind::CompareExchange:
			op.var = rng_.range(0, vars_ - 1);
			op.expected = rng_.range(0, 2);
			op.value = rng_.range(1, 3);
			break;
		case Kind::Locked: {
			op.mutex = rng_.range(floor, mutexes_ - 1);
			int inner = rng_.range(0, std::min(2, budget - 2));
			op.body = block(inner, op.mutex + 1, held | (1u << op.mutex), depth + 1);
			break;
		}
		case Kind::TryLocked: {
			op.mutex = free[static_cast<std::size_t>(
			    rng_.range(0, static_cast<int>(free.size()) - 1))];
			int inner = rng_.range(0, std::min(2, budget - 2));
			op.body = block(inner, std::max(floor, op.mutex + 1),
					held | (1u << op.mutex), depth + 1);
			break;
		}
		case Kind::IfEquals: {
			op.value = rng_.range(0, 2);
			int thenSteps = rng_.range(1, std::min(3, budget));
			op.body = block(thenSteps, floor, held, depth + 1);
			op.orElse = block(rng_.range(0, thenSteps), floor, held, depth + 1);
			break;
		}
		case Kind::ReadLocked:
		case Kind::WriteLocked: {
			int lock = rng_.range(std::max(floor, mutexes_), locks - 1);
			op.rwsem = lock - mutexes_;
			int inner = rng_.range(0, std::min(2, budget - 2));
			op.body = block(inner, lock + 1, held | (1u << lock), depth + 1);
			break;
		}
		case Kind::TryReadLocked:
		case Kind::TryWriteLocked: {
			op.rwsem = freeRwsems[static_cast<std::size_t>(
			    rng_.range(0, static_cast<int>(freeRwsems.size()) - 1))];
			int lock = mutexes_ + op.rwsem;
			int inner = rng_.range(0, std::min(2, budget - 2));
			op.body =
			    block(inner, std::max(floor, lock + 1), held | (1u << lock), depth + 1);
			break;
		}
		}
		return op;
	}

	Rng rng_;
	int vars_;
	int mutexes_;
	int rwsems_;
};

/* C(n, k), saturating at the maximum. */
std::uint64_t binomial(std::uint64_t n, std::uint64_t k)
{
	constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
	unsigned __int128 r = 1;
	for (std::uint64_t i = 1; i <= k; ++i) {
		r = r * (n - k + i) / i;
		if (r > kMax)
			return kMax;
	}
	return static_cast<std::uint64_t>(r);
}

std::uint64_t multinomial(const std::vector<int> &parts)
{
	constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
	unsigned __int128 r = 1;
	std::uint64_t n = 0;
	for (int p : parts) {
		n += static_cast<std::uint64_t>(p);
		r *= binomial(n, static_cast<std::uint64_t>(p));
		if (r > kMax)
			return kMax;
	}
	return static_cast<std::uint64_t>(r);
}

void describeOps(std::string &out, const std::vector<RandomOp> &ops, int indent)
{
	const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
	auto var = [](int v) { return "v" + std::to_string(v); };
	auto mutex = [](int m) { return "m" + std::to_string(m); };
	auto rwsem = [](int r) { return "s" + std::to_string(r); };
	for (const RandomOp &op : ops) {
		switch (op.kind) {
		case Kind::Load:
			out += pad + "r = " + var(op.var) + "\n";
			break;
		case Kind::Store:
			out += pad + var(op.var) + " = " + (op.fromRegister ? "r + " : "") +
			       std::to_string(op.value) + "\n";
			break;
		case Kind::FetchAdd:
			out += pad + "r = fetch_add(" + var(op.var) + ", " +
			       std::to_string(op.value) + ")\n";
			break;
		case Kind::CompareExchange:
			out += pad + "r = cas(" + var(op.var) + ", " + std::to_string(op.expected) +
			       ", " + std::to_string(op.value) + ")\n";
			break;
		case Kind::Locked:
			out += pad + "lock(" + mutex(op.mutex) + ")\n";
			describeOps(out, op.body, indent + 1);
			out += pad + "unlock(" + mutex(op.mutex) + ")\n";
			break;
		case Kind::TryLocked:
			out += pad + "if (trylock(" + mutex(op.mutex) + ")) {\n";
			describeOps(out, op.body, indent + 1);
			out += pad + "  unlock(" + mutex(op.mutex) + ")\n" + pad + "}\n";
			break;
		case Kind::ReadLocked:
		case Kind::WriteLocked: {
			const char *mode = op.kind == Kind::ReadLocked ? "read" : "write";
			out += pad + "down_" + mode + "(" + rwsem(op.rwsem) + ")\n";
			describeOps(out, op.body, indent + 1);
			out += pad + "up_" + mode + "(" + rwsem(op.rwsem) + ")\n";
			break;
		}
		case Kind::TryReadLocked:
		case Kind::TryWriteLocked: {
			const char *mode = op.kind == Kind::TryReadLocked ? "read" : "write";
			out += pad + "if (down_" + mode + "_trylock(" + rwsem(op.rwsem) + ")) {\n";
			describeOps(out, op.body, indent + 1);
			out += pad + "  up_" + mode + "(" + rwsem(op.rwsem) + ")\n" + pad + "}\n";
			break;
		}
		case Kind::IfEquals:
			out += pad + "if (r == " + std::to_string(op.value) + ") {\n";
			describeOps(out, op.body, indent + 1);
			out += pad + "} else {\n";
			describeOps(out, op.orElse, indent + 1);
			out += pad + "}\n";
			break;
		}
	}
}

std::string joinInts(const std::vector<int> &v)
{
	std::string s;
	for (std::size_t i = 0; i < v.size(); ++i)
		s += (i ? "," : "") + std::to_string(v[i]);
	return s;
}

} // namespace

int maxSteps(const std::vector<RandomOp> &ops)
{
	int steps = 0;
	for (const RandomOp &op : ops)
		steps += opSteps(op);
	return steps;
}

std::uint64_t interleavingBound(const RandomProgramSpec &spec)
{
	std::vector<int> parts;
	for (const auto &t : spec.threads)
		parts.push_back(maxSteps(t));
	return multinomial(parts);
}

RandomProgramSpec generateRandomProgram(std::uint64_t seed, const RandomProgramOptions &o)
{
	if (o.minThreads < 1 || o.maxThreads > 64 || o.minVars < 1 || o.maxMutexes > 31 ||
	    o.minOps < 1 || o.minThreads > o.maxThreads || o.minOps > o.maxOps ||
	    o.minVars > o.maxVars || o.minMutexes < 0 || o.minMutexes > o.maxMutexes ||
	    o.minRwsems < 0 || o.minRwsems > o.maxRwsems || o.maxMutexes + o.maxRwsems > 31)
		throw std::invalid_argument("random program: inconsistent options");
	RandomProgramSpec spec;
	spec.seed = seed;
	Rng shape(seed);
	int threads = shape.range(o.minThreads, o.maxThreads);
	spec.vars = shape.range(o.minVars, o.maxVars);
	spec.mutexes = shape.range(o.minMutexes, o.maxMutexes);
	spec.rwsems = shape.range(o.minRwsems, o.maxRwsems);
	std::vector<int> budgets;
	for (int t = 0; t < threads; ++t)
		budgets.push_back(shape.range(o.minOps, o.maxOps));
	if (o.maxInterleavings) {
		/* Cutting the longest thread shrinks the bound fastest. */
		while (multinomial(budgets) > o.maxInterleavings) {
			auto longest = std::max_element(budgets.begin(), budgets.end());
			if (*longest <= 1)
				break;
			--*longest;
		}
	}
	Generator gen(shape.next(), spec.vars, spec.mutexes, spec.rwsems);
	for (int b : budgets)
		spec.threads.push_back(gen.block(b, 0, 0, 0));
	return spec;
}

std::string describe(const RandomProgramSpec &spec)
{
	std::string out =
	    "random program, seed " + std::to_string(spec.seed) + ": " + std::to_string(spec.vars) +
	    " variables (all 0), " + std::to_string(spec.mutexes) + " mutexes" +
	    (spec.rwsems ? ", " + std::to_string(spec.rwsems) + " rwsems" : "") + "\n";
	for (std::size_t t = 0; t < spec.threads.size(); ++t) {
		out += "t" + std::to_string(t) + ":\n";
		describeOps(out, spec.threads[t], 1);
	}
	return out;
}

RandomProgram::RandomProgram(RandomProgramSpec spec) : spec_(std::move(spec))
{
}

std::string RandomProgram::name() const
{
	return "random(" + std::to_string(spec_.seed) + ")";
}

void RandomProgram::setUp(Execution &e)
{
	ids_.reset();
	vars_.clear();
	mutexes_.clear();
	vars_.reserve(static_cast<std::size_t>(spec_.vars));
	for (int v = 0; v < spec_.vars; ++v)
		vars_.emplace_back(ids_, 0);
	for (int m = 0; m < spec_.mutexes; ++m)
		mutexes_.push_back(std::make_unique<Mutex>(ids_, "m" + std::to_string(m)));
	rwsems_.clear();
	for (int r = 0; r < spec_.rwsems; ++r)
		rwsems_.push_back(std::make_unique<RwSem>(ids_, "s" + std::to_string(r)));
	tasks_.assign(spec_.threads.size(), Task{});
	for (std::size_t t = 0; t < spec_.threads.size(); ++t)
		e.spawn("t" + std::to_string(t),
			[this, &e, t] { run(e, tasks_[t], spec_.threads[t]); });
}

void RandomProgram::run(Execution &e, Task &task, const std::vector<RandomOp> &ops)
{
	auto loaded = [&task](int v) {
		task.loaded.push_back(v);
		task.last = v;
	};
	for (const RandomOp &op : ops) {
		switch (op.kind) {
		case Kind::Load:
			loaded(vars_[static_cast<std::size_t>(op.var)].load(e, "random: load"));
			break;
		case Kind::Store:
			vars_[static_cast<std::size_t>(op.var)].store(
			    e, op.fromRegister ? task.last + op.value : op.value, "random: store");
			break;
		case Kind::FetchAdd:
			loaded(vars_[static_cast<std::size_t>(op.var)].fetchAdd(
			    e, op.value, "random: fetch_add"));
			break;
		case Kind::CompareExchange: {
			int seen = op.expected;
			vars_[static_cast<std::size_t>(op.var)].compareExchange(e, seen, op.value,
										"random: cas");
			/* The value read, whether or not it matched. */
			loaded(seen);
			break;
		}
		case Kind::Locked: {
			Mutex &m = *mutexes_[static_cast<std::size_t>(op.mutex)];
			m.lock(e, "random: lock");
			run(e, task, op.body);
			m.unlock(e, "random: unlock");
			break;
		}
		case Kind::TryLocked: {
			Mutex &m = *mutexes_[static_cast<std::size_t>(op.mutex)];
			if (m.tryLock(e, "random: trylock")) {
				run(e, task, op.body);
				m.unlock(e, "random: unlock");
			}
			break;
		}
		case Kind::IfEquals:
			run(e, task, task.last == op.value ? op.body : op.orElse);
			break;
		case Kind::ReadLocked: {
			RwSem &s = *rwsems_[static_cast<std::size_t>(op.rwsem)];
			s.lockShared(e, "random: down_read");
			run(e, task, op.body);
			s.unlockShared(e, "random: up_read");
			break;
		}
		case Kind::WriteLocked: {
			RwSem &s = *rwsems_[static_cast<std::size_t>(op.rwsem)];
			s.lock(e, "random: down_write");
			run(e, task, op.body);
			s.unlock(e, "random: up_write");
			break;
		}
		case Kind::TryReadLocked: {
			RwSem &s = *rwsems_[static_cast<std::size_t>(op.rwsem)];
			if (s.tryLockShared(e, "random: down_read_trylock")) {
				run(e, task, op.body);
				s.unlockShared(e, "random: up_read");
			}
			break;
		}
		case Kind::TryWriteLocked: {
			RwSem &s = *rwsems_[static_cast<std::size_t>(op.rwsem)];
			if (s.tryLock(e, "random: down_write_trylock")) {
				run(e, task, op.body);
				s.unlock(e, "random: up_write");
			}
			break;
		}
		}
	}
}

void RandomProgram::atEnd(Execution &)
{
	std::vector<int> values;
	for (const SharedInt &v : vars_)
		values.push_back(v.peek());
	std::string s = "vars=[" + joinInts(values) + "]";
	for (std::size_t t = 0; t < tasks_.size(); ++t)
		s += " t" + std::to_string(t) + "=[" + joinInts(tasks_[t].loaded) + "]";
	recordFinalState(s);
}

std::unique_ptr<RandomProgram> makeRandomProgram(std::uint64_t seed,
						 const RandomProgramOptions &options)
{
	return std::make_unique<RandomProgram>(generateRandomProgram(seed, options));
}

} // namespace mmrace::programs
