/* SPDX-License-Identifier: GPL-2.0 */
#include "rng.hpp"
#include "strategies.hpp"

namespace mmrace {

namespace {

class RandomStrategy : public Strategy {
public:
	RandomStrategy(std::uint64_t seed, std::uint64_t first) : seed_(seed), execution_(first) {}

	bool beginExecution() override
	{
		std::uint64_t s = seed_ ^ (0xa0761d6478bd642fULL * ++execution_);
		rng_.seed(s);
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		return view.enabled[rng_.below(static_cast<std::uint32_t>(view.enabled.size()))];
	}

	std::uint32_t pickValue(std::uint32_t n) override { return rng_.below(n); }
	std::string name() const override { return "random"; }

private:
	std::uint64_t seed_;
	std::uint64_t execution_;
	Xoshiro256 rng_;
};

} // namespace

std::unique_ptr<Strategy> makeRandomStrategy(std::uint64_t seed, std::uint64_t first)
{
	return std::make_unique<RandomStrategy>(seed, first);
}

} // namespace mmrace
