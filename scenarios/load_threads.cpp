/* SPDX-License-Identifier: GPL-2.0 */
/* threads and their ops, checked against the registry and the state. */
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "model/registry.hpp"
#include "scenarios/load_context.hpp"

namespace mmrace::scenarios
{

namespace
{

/* The scheduler tracks tasks in a 64-bit TaskMask; scenarios get 63, one stays spare. */
constexpr std::size_t kMaxThreads = 63;

std::string paramNames(const model::OpInfo &op)
{
	std::string out;
	for (const model::ParamInfo &p : op.params) {
		if (!out.empty())
			out += ", ";
		out += p.name;
	}
	return out;
}

std::string folioNames(const Scenario &s)
{
	if (s.pages.empty())
		return "state.pages places no folios";
	std::string out;
	std::size_t n = 0;
	for (const PageSpec &p : s.pages)
		if (!p.folio.empty() && n++ < kMaxListedNames) /* a "swapped" page has none */
			out += (out.empty() ? "" : ", ") + p.folio;
	if (n > kMaxListedNames)
		out += fmt::format(", ... ({} in all)", n);
	return out.empty() ? "state.pages places no folios" : "folios: " + out;
}

bool hasFolio(const Scenario &s, std::string_view name)
{
	for (const PageSpec &p : s.pages)
		if (!p.folio.empty() && p.folio == name)
			return true;
	return false;
}

bool hasAnonVma(const Scenario &s, std::string_view name)
{
	for (const AnonVmaSpec &a : s.anonVmas)
		if (a.name == name)
			return true;
	return false;
}

/* Returns the lock reference in canonical form (ptl addresses in hex). */
std::string lockRef(const LoadContext &ctx, const Json &v, const std::string &p, const Scenario &s)
{
	std::string ref = ctx.string(v, p, "a lock reference");
	std::string_view r = ref;
	if (r == "mmap_lock")
		return ref;
	if (r.starts_with("folio:")) {
		std::string_view name = r.substr(6);
		if (!hasFolio(s, name))
			ctx.fail(p,
				 fmt::format("lock \"{}\" names no folio placed by state.pages; {}",
					     ref, folioNames(s)));
		return ref;
	}
	if (r.starts_with("anon_vma:")) {
		std::string_view name = r.substr(9);
		if (!hasAnonVma(s, name))
			ctx.fail(p, fmt::format("lock \"{}\" names no anon_vma listed in "
						"state.anon_vmas",
						ref));
		return ref;
	}
	if (r.starts_with("ptl:")) {
		auto a = parseAddressText(r.substr(4), true);
		if (!a)
			ctx.fail(p, fmt::format("lock \"{}\": expected \"ptl:\" followed by an "
						"address such as 0x100000",
						ref));
		if (*a % kPageSize)
			ctx.fail(p,
				 fmt::format("lock \"{}\": {} is not page aligned", ref, hex(*a)));
		if (!findVma(s, *a))
			ctx.fail(p, fmt::format("lock \"{}\": {} is outside every VMA; {}", ref,
						hex(*a), describeVmas(s)));
		return "ptl:" + hex(*a);
	}
	ctx.fail(p, fmt::format("unknown lock \"{}\"; expected \"mmap_lock\", \"folio:NAME\", "
				"\"anon_vma:NAME\" or \"ptl:ADDRESS\"",
				ref));
}

OpArg loadArg(const LoadContext &ctx, const model::ParamInfo &param, const Json &v,
	      const std::string &p, const Scenario &s)
{
	OpArg arg;
	arg.name = param.name;
	std::string what = fmt::format("\"{}\"", param.name);
	switch (param.kind) {
	case model::ParamKind::Address:
		arg.number = ctx.address(v, p, what);
		break;
	case model::ParamKind::Length:
		arg.number = ctx.unsignedInt(v, p, what, true);
		if (arg.number > kMaxOpLength)
			ctx.fail(p, fmt::format(
					"{} {:#x} is too long; at most {:#x} (1 GiB) is supported",
					what, arg.number, kMaxOpLength));
		if (arg.number % kPageSize)
			ctx.fail(p,
				 fmt::format("{} must be a multiple of the page size ({}), got {}",
					     what, kPageSize, arg.number));
		break;
	case model::ParamKind::Folio:
		arg.text = ctx.name(v, p, what);
		if (!hasFolio(s, arg.text))
			ctx.fail(p, fmt::format("no folio \"{}\" is placed by state.pages; {}",
						arg.text, folioNames(s)));
		break;
	case model::ParamKind::LockList:
		ctx.array(v, p, what);
		if (v.empty())
			ctx.fail(p, fmt::format("{} must list at least one lock", what));
		for (std::size_t i = 0; i < v.size(); ++i)
			arg.list.push_back(lockRef(ctx, v[i], jsonPathIndex(p, i), s));
		break;
	case model::ParamKind::Bool:
		arg.flag = ctx.boolean(v, p, what);
		break;
	case model::ParamKind::Value:
		arg.number = ctx.unsignedInt(v, p, what, false);
		break;
	}
	return arg;
}

/* Checks the range [start, start + len) lies in one VMA; returns it. */
const VmaSpec &rangeVma(const LoadContext &ctx, const std::string &p, const char *which,
			std::uint64_t start, std::uint64_t len, const Scenario &s)
{
	const VmaSpec *v = findVma(s, start);
	if (!v || len > v->end() - start) {
		/* Printed without computing start + len, which may wrap. */
		ctx.fail(p, fmt::format("{} range {} + {:#x} does not lie inside one VMA; {}",
					which, hex(start), len, describeVmas(s)));
	}
	return *v;
}

/* What the kernel's move_pages() rejects up front with -EINVAL. */
void checkUffdioMove(const LoadContext &ctx, const std::string &p, const OpSpec &op,
		     const Scenario &s)
{
	std::uint64_t src = op.arg("src")->number;
	std::uint64_t dst = op.arg("dst")->number;
	std::uint64_t len = op.arg("len")->number;
	rangeVma(ctx, jsonPathMember(p, "src"), "src", src, len, s);
	const VmaSpec &d = rangeVma(ctx, jsonPathMember(p, "dst"), "dst", dst, len, s);
	bool missing = false;
	for (const std::string &m : d.uffd)
		missing = missing || m == "missing";
	if (!missing)
		ctx.fail(
		    jsonPathMember(p, "dst"),
		    fmt::format("UFFDIO_MOVE needs the destination registered with "
				"userfaultfd: VMA \"{}\" needs \"missing\" in its \"uffd\" list",
				d.name));
	/* Both ranges lie inside VMAs, so the sums cannot wrap. */
	if (src < dst + len && dst < src + len)
		ctx.fail(p, fmt::format("UFFDIO_MOVE source [{}, {}) and destination [{}, {}) "
					"overlap",
					hex(src), hex(src + len), hex(dst), hex(dst + len)));
}

/* khugepaged */
/* retract_page_tables names a file range through an address of a file VMA. */
void checkRetract(const LoadContext &ctx, const std::string &p, const OpSpec &op, const Scenario &s)
{
	std::uint64_t addr = op.arg("addr")->number;
	const VmaSpec *v = findVma(s, addr);
	if (!v || v->file.empty())
		ctx.fail(jsonPathMember(p, "addr"),
			 fmt::format("retract_page_tables needs an address in a file VMA (a VMA with "
				     "\"file\"), got {}; {}",
				     hex(addr), describeVmas(s)));
}

/* UFFDIO_COPY: the destination page lies in a VMA registered MISSING. */
void checkUffdioCopy(const LoadContext &ctx, const std::string &p, const OpSpec &op,
		     const Scenario &s)
{
	std::uint64_t dst = op.arg("dst")->number;
	const VmaSpec &d = rangeVma(ctx, jsonPathMember(p, "dst"), "dst", dst, kPageSize, s);
	if (std::find(d.uffd.begin(), d.uffd.end(), "missing") == d.uffd.end())
		ctx.fail(jsonPathMember(p, "dst"),
			 fmt::format("UFFDIO_COPY needs the destination registered with userfaultfd: "
				     "VMA \"{}\" needs \"missing\" in its \"uffd\" list",
				     d.name));
}
/* end khugepaged */

/* gup */
/* munmap: any page-aligned range (split_vma() at the edges, mremap-shapes) */
void checkMunmap(const LoadContext &ctx, const std::string &p, const OpSpec &op, const Scenario &)
{
	std::uint64_t addr = op.arg("addr")->number, len = op.arg("len")->number;
	if (addr + len < addr)
		ctx.fail(jsonPathMember(p, "len"), "munmap range wraps");
}
/* end gup */

/* swapfile */
/* madvise_dontneed: a range inside one VMA (no walk over several VMAs). */
void checkMadvise(const LoadContext &ctx, const std::string &p, const OpSpec &op, const Scenario &s)
{
	rangeVma(ctx, jsonPathMember(p, "addr"), "madvise_dontneed", op.arg("addr")->number,
		 op.arg("len")->number, s);
}
/* end swapfile */

/* mremap */
/* mremap: any old range and lengths (the kernel's checks give -EFAULT /
 * -EINVAL / -ENOMEM at run time); MREMAP_FIXED needs new_addr, and new_addr
 * without it would be MREMAP_DONTUNMAP's, which is not modelled. */
void checkMremap(const LoadContext &ctx, const std::string &p, const OpSpec &op, const Scenario &)
{
	std::uint64_t addr = op.arg("old")->number, len = op.arg("old_len")->number;
	std::uint64_t newLen = op.arg("new_len")->number;
	if (addr + len < addr)
		ctx.fail(jsonPathMember(p, "old_len"), "mremap old range wraps");
	const OpArg *fixed = op.arg("fixed");
	const OpArg *newAddr = op.arg("new_addr");
	if (fixed && fixed->flag) {
		if (!newAddr)
			ctx.fail(p, "mremap with \"fixed\" needs \"new_addr\"");
		std::uint64_t n = newAddr->number;
		if (n + newLen < n)
			ctx.fail(jsonPathMember(p, "new_addr"), "mremap destination wraps");
	} else if (newAddr) {
		ctx.fail(jsonPathMember(p, "new_addr"),
			 "mremap \"new_addr\" is only used with \"fixed\" (MREMAP_DONTUNMAP is not "
			 "modelled)");
	}
}
/* end mremap */

OpSpec loadOp(const LoadContext &ctx, const Json &e, const std::string &p, const Scenario &s)
{
	ctx.object(e, p, "an op");
	const Json *opName = member(e, "op");
	if (!opName)
		ctx.fail(p, fmt::format("missing required key \"op\" in an op; ops: {}",
					model::opNames()));
	std::string opPath = jsonPathMember(p, "op");
	OpSpec op;
	op.op = ctx.name(*opName, opPath, "\"op\"");
	const model::OpInfo *info = model::findOp(op.op);
	if (!info)
		ctx.fail(opPath,
			 fmt::format("unknown op \"{}\"; allowed: {}", op.op, model::opNames()));
	for (const auto &[key, value] : e.items()) {
		if (key == "op")
			continue;
		std::string argPath = jsonPathMember(p, key);
		const model::ParamInfo *param = nullptr;
		for (const model::ParamInfo &pi : info->params)
			if (key == pi.name)
				param = &pi;
		if (!param)
			ctx.failAtKey(argPath,
				      fmt::format("unknown parameter \"{}\" for op \"{}\"; "
						  "its parameters: {}",
						  key, op.op, paramNames(*info)));
		op.args.push_back(loadArg(ctx, *param, value, argPath, s));
	}
	for (const model::ParamInfo &pi : info->params)
		if (pi.required && !op.arg(pi.name))
			ctx.fail(p, fmt::format("op \"{}\" needs parameter \"{}\" ({})", op.op,
						pi.name, pi.doc));
	if (op.op == "uffdio_move")
		checkUffdioMove(ctx, p, op, s);
	/* gup */
	if (op.op == "munmap")
		checkMunmap(ctx, p, op, s);
	/* end gup */
	/* reclaim */
	if (op.op == "reclaim" && !op.arg("folio") == !op.arg("addr"))
		ctx.fail(p, "op \"reclaim\" needs exactly one of \"folio\" (a folio of the initial "
			    "state) and \"addr\" (the folio mapped there when the pass starts)");
	/* end reclaim */
	/* swapfile */
	if (op.op == "madvise_dontneed")
		checkMadvise(ctx, p, op, s);
	/* end swapfile */
	/* mremap */
	if (op.op == "mremap")
		checkMremap(ctx, p, op, s);
	/* end mremap */
	/* khugepaged */
	if (op.op == "retract_page_tables")
		checkRetract(ctx, p, op, s);
	if (op.op == "uffdio_copy")
		checkUffdioCopy(ctx, p, op, s);
	/* end khugepaged */
	return op;
}

} // namespace

void loadThreads(const LoadContext &ctx, const Json &threads, Scenario &out)
{
	const std::string path = "$.threads";
	ctx.array(threads, path, "\"threads\"");
	if (threads.empty())
		ctx.fail(path, "\"threads\" must list at least one thread");
	if (threads.size() > kMaxThreads)
		ctx.fail(path, fmt::format("at most {} threads are supported, got {}", kMaxThreads,
					   threads.size()));
	std::map<std::string, std::string> seen;
	/* mremap destinations get PMD slots as VMAs do: they share the bound. */
	std::uint64_t pages = 0;
	for (const VmaSpec &v : out.vmas)
		pages += v.pages;
	for (std::size_t i = 0; i < threads.size(); ++i) {
		std::string p = jsonPathIndex(path, i);
		const Json &e = ctx.object(threads[i], p, "a thread");
		ctx.checkKeys(e, p, {"name", "ops"}, "a thread");
		ctx.requireKeys(e, p, {"name", "ops"}, "a thread");
		ThreadSpec t;
		std::string namePath = jsonPathMember(p, "name");
		t.name = ctx.name(e.at("name"), namePath, "\"name\"");
		if (auto it = seen.find(t.name); it != seen.end())
			ctx.fail(namePath, fmt::format("duplicate thread name \"{}\" (also at {})",
						       t.name, it->second));
		seen.emplace(t.name, namePath);
		std::string opsPath = jsonPathMember(p, "ops");
		const Json &ops = ctx.array(e.at("ops"), opsPath, "\"ops\"");
		if (ops.empty())
			ctx.fail(opsPath,
				 fmt::format("thread \"{}\" has no ops; \"ops\" must list at "
					     "least one",
					     t.name));
		if (ops.size() > kMaxOpsPerThread)
			ctx.fail(opsPath,
				 fmt::format("at most {} ops per thread are supported, got {}",
					     kMaxOpsPerThread, ops.size()));
		for (std::size_t j = 0; j < ops.size(); ++j) {
			t.ops.push_back(loadOp(ctx, ops[j], jsonPathIndex(opsPath, j), out));
			if (const OpArg *len = t.ops.back().arg("new_len");
			    len && t.ops.back().op == "mremap") {
				pages += len->number / kPageSize;
				if (pages > kMaxScenarioPages)
					ctx.fail(
					    jsonPathMember(jsonPathIndex(opsPath, j), "new_len"),
					    fmt::format(
						"the VMAs and mremap destinations up to here "
						"have {} pages; at most {} (2 GiB) per scenario "
						"are supported",
						pages, kMaxScenarioPages));
			}
		}
		out.threads.push_back(std::move(t));
	}
}

} // namespace mmrace::scenarios
