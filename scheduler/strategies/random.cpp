/* SPDX-License-Identifier: GPL-2.0 */
#include "strategies.hpp"

namespace mmrace {

namespace {

/* splitmix64 seeds xoshiro256**: both fully specified, so runs reproduce everywhere. */
std::uint64_t splitmix64(std::uint64_t &x)
{
	std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

class Xoshiro256 {
public:
	void seed(std::uint64_t s)
	{
		for (auto &w : s_)
			w = splitmix64(s);
	}

	std::uint64_t next()
	{
		std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
		std::uint64_t t = s_[1] << 17;
		s_[2] ^= s_[0];
		s_[3] ^= s_[1];
		s_[1] ^= s_[2];
		s_[0] ^= s_[3];
		s_[2] ^= t;
		s_[3] = rotl(s_[3], 45);
		return result;
	}

	/* Lemire's multiply-shift reduction; the tiny bias is irrelevant here. */
	std::uint32_t below(std::uint32_t n)
	{
		return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
	}

private:
	static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
	std::uint64_t s_[4] = {};
};

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
