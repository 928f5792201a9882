/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * What a scenario may name: operations (with their parameters), guards and
 * presets. Plain data, shared by the loader (validation), the CLI (`list`)
 * and the model (guard lookup).
 */

#include <string>
#include <string_view>
#include <vector>

namespace mmrace::model {

enum class ParamKind {
	Address,	/* page-aligned user address: "0x100000" or a number */
	Length,		/* byte count, a positive multiple of the page size */
	Folio,		/* name of a folio placed by state.pages */
	LockList,	/* ["folio:F", "anon_vma:A", "mmap_lock", "ptl:0x100000"] */
	Bool,		/* true / false; absent = false */
	Value,		/* an unsigned number (data written); absent = a unique default */
};

struct ParamInfo {
	const char *name;
	ParamKind kind;
	bool required;
	const char *doc;
};

struct OpInfo {
	const char *name;
	const char *reduces;	/* the kernel functions it is a reduction of */
	const char *doc;
	std::vector<ParamInfo> params;
};

struct GuardInfo {
	const char *name;	/* "op.guard", stable */
	const char *where;	/* kernel function the protective step lives in */
	const char *doc;	/* one line */
	/* the kernel file of `where` ("mm/gup.c"); `mmrace list guards`
	 * prints "mm/gup.c: gup_fast_pte_range()" */
	const char *file = nullptr;
};

struct PresetInfo {
	const char *name;
	const char *doc;
	std::vector<const char *> guardsOff;
};

const std::vector<OpInfo> &allOps();
const std::vector<GuardInfo> &allGuards();
const std::vector<PresetInfo> &allPresets();

const OpInfo *findOp(std::string_view name);
const GuardInfo *findGuard(std::string_view name);
const PresetInfo *findPreset(std::string_view name);

/* Comma-separated names, for "allowed: ..." messages. */
std::string opNames();
std::string guardNames();
std::string presetNames();

} // namespace mmrace::model
