/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * The seeded generator of the randomised strategies: splitmix64 expands a
 * seed into xoshiro256** state. Both are fully specified (unlike the
 * std::*_distribution algorithms), so a seed gives the same schedules on
 * every platform and standard library. Same algorithm as random.cpp, which
 * keeps its own copy so that its streams (and recorded seeds) never change.
 */

#include <cstdint>

namespace mmrace
{

inline std::uint64_t splitmix64(std::uint64_t &x)
{
	std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

class Xoshiro256
{
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

	/* In [0, n): Lemire's multiply-shift reduction; the tiny bias is irrelevant here. */
	std::uint32_t below(std::uint32_t n)
	{
		return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
	}

private:
	static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
	std::uint64_t s_[4] = {};
};

} // namespace mmrace
