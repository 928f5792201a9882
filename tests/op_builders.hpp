/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/* Building scenario ops and pages in code, for the model tests. */

#include <cstdint>
#include <utility>
#include <vector>

#include "scenarios/scenario.hpp"

namespace mmrace::testing {

inline scenarios::OpArg num(const char *name, std::uint64_t v)
{
	scenarios::OpArg a;
	a.name = name;
	a.number = v;
	return a;
}

inline scenarios::OpArg flag(const char *name, bool v)
{
	scenarios::OpArg a;
	a.name = name;
	a.flag = v;
	return a;
}

inline scenarios::OpArg text(const char *name, const char *v)
{
	scenarios::OpArg a;
	a.name = name;
	a.text = v;
	return a;
}

inline scenarios::OpSpec op(const char *name, std::vector<scenarios::OpArg> args = {})
{
	return {name, std::move(args)};
}

inline scenarios::PageSpec page(std::uint64_t at, const char *folio)
{
	scenarios::PageSpec p;
	p.at = at;
	p.folio = folio;
	return p;
}

} // namespace mmrace::testing
