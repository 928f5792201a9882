/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * The invariants mmrace checks, each with a stable id, the statement it
 * checks, and the reference section it comes from. Statements are generic
 * properties of the state or of the steps, never "scenario X happened".
 */

#include <string>
#include <string_view>
#include <vector>

namespace mmrace::checker {

struct InvariantInfo {
	const char *id;
	const char *ref;	/* reference id (docs/checking.md, "Reference ids"), or lockdep */
	const char *statement;
};

const std::vector<InvariantInfo> &allInvariants();
const InvariantInfo *findInvariant(std::string_view id);
std::string invariantNames();

} // namespace mmrace::checker
