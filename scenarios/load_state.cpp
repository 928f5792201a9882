/* SPDX-License-Identifier: GPL-2.0 */
/* state: anon_vmas, vmas and pages, checked against each other. */
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "scenarios/load_context.hpp"

namespace mmrace::scenarios
{

namespace
{

/* Before looking at the elements: a huge list is rejected at once. */
void checkCount(const LoadContext &ctx, const Json &list, const std::string &path, const char *what)
{
	if (list.size() > kMaxObjects)
		ctx.fail(path, fmt::format("at most {} {} are supported, got {}", kMaxObjects, what,
					   list.size()));
}

std::string anonVmaNames(const Scenario &s)
{
	if (s.anonVmas.empty())
		return "state.anon_vmas is empty";
	std::string out = "anon_vmas: ";
	for (std::size_t i = 0; i < s.anonVmas.size() && i < kMaxListedNames; ++i)
		out += (i ? ", " : "") + s.anonVmas[i].name;
	if (s.anonVmas.size() > kMaxListedNames)
		out += fmt::format(", ... ({} in all)", s.anonVmas.size());
	return out;
}

const AnonVmaSpec *findAnonVma(const Scenario &s, const std::string &name)
{
	for (const AnonVmaSpec &a : s.anonVmas)
		if (a.name == name)
			return &a;
	return nullptr;
}

void loadAnonVmas(const LoadContext &ctx, const Json &list, const std::string &path, Scenario &out)
{
	ctx.array(list, path, "\"anon_vmas\"");
	checkCount(ctx, list, path, "anon_vmas");
	std::map<std::string, std::string> seen; /* name -> path, for duplicates */
	std::vector<std::string> rootPaths;	 /* where a root was named, if it was */
	for (std::size_t i = 0; i < list.size(); ++i) {
		const Json &e = list[i];
		std::string p = jsonPathIndex(path, i);
		AnonVmaSpec a;
		std::string namePath = p;
		std::string rootPath;
		if (e.is_string()) {
			a.name = ctx.name(e, p, "an anon_vma name");
			a.root = a.name;
		} else if (e.is_object()) {
			ctx.checkKeys(e, p, {"name", "root"}, "an anon_vma");
			ctx.requireKeys(e, p, {"name"}, "an anon_vma");
			namePath = jsonPathMember(p, "name");
			a.name = ctx.name(e.at("name"), namePath, "\"name\"");
			a.root = a.name;
			if (const Json *r = member(e, "root")) {
				rootPath = jsonPathMember(p, "root");
				a.root = ctx.name(*r, rootPath, "\"root\"");
			}
		} else {
			ctx.fail(p,
				 fmt::format("an anon_vma is a name (\"A\", a root) or an object "
					     "{{\"name\": \"B\", \"root\": \"A\"}}, got {}",
					     describeValue(e)));
		}
		if (auto it = seen.find(a.name); it != seen.end())
			ctx.fail(namePath,
				 fmt::format("duplicate anon_vma name \"{}\" (also at {})", a.name,
					     it->second));
		seen.emplace(a.name, namePath);
		rootPaths.push_back(rootPath);
		out.anonVmas.push_back(std::move(a));
	}
	/* A second pass, so that a root may be listed after its children. */
	for (std::size_t i = 0; i < out.anonVmas.size(); ++i) {
		const AnonVmaSpec &a = out.anonVmas[i];
		if (a.root == a.name)
			continue;
		const AnonVmaSpec *root = findAnonVma(out, a.root);
		if (!root)
			ctx.fail(rootPaths[i],
				 fmt::format("root \"{}\" is not a listed anon_vma; {}", a.root,
					     anonVmaNames(out)));
		if (root->root != root->name)
			ctx.fail(rootPaths[i],
				 fmt::format("root \"{}\" is not a root anon_vma (its own root is "
					     "\"{}\"); name the root of the tree",
					     a.root, root->root));
	}
}

void loadUffd(const LoadContext &ctx, const Json &list, const std::string &path, VmaSpec &vma)
{
	ctx.array(list, path, "\"uffd\"");
	for (std::size_t i = 0; i < list.size(); ++i) {
		std::string p = jsonPathIndex(path, i);
		std::string mode = ctx.string(list[i], p, "a uffd mode");
		if (mode != "missing" && mode != "wp" && mode != "minor")
			ctx.fail(
			    p, fmt::format("unknown uffd mode \"{}\"; allowed: missing, wp, minor",
					   mode));
		for (const std::string &m : vma.uffd)
			if (m == mode)
				ctx.fail(p, fmt::format("uffd mode \"{}\" is listed twice", mode));
		vma.uffd.push_back(mode);
	}
}

/* khugepaged */
std::string fileNames(const Scenario &s)
{
	if (s.files.empty())
		return "state.files is empty";
	std::string out = "files: ";
	for (std::size_t i = 0; i < s.files.size() && i < kMaxListedNames; ++i)
		out += (i ? ", " : "") + s.files[i];
	if (s.files.size() > kMaxListedNames)
		out += fmt::format(", ... ({} in all)", s.files.size());
	return out;
}

/* state.files: names of shmem files that file VMAs map (MAP_PRIVATE). */
void loadFiles(const LoadContext &ctx, const Json &list, const std::string &path, Scenario &out)
{
	ctx.array(list, path, "\"files\"");
	checkCount(ctx, list, path, "files");
	for (std::size_t i = 0; i < list.size(); ++i) {
		std::string p = jsonPathIndex(path, i);
		std::string name = ctx.name(list[i], p, "a file name");
		if (std::find(out.files.begin(), out.files.end(), name) != out.files.end())
			ctx.fail(p, fmt::format("duplicate file name \"{}\"", name));
		out.files.push_back(name);
	}
}
/* end khugepaged */

void loadVmas(const LoadContext &ctx, const Json &list, const std::string &path, Scenario &out)
{
	ctx.array(list, path, "\"vmas\"");
	checkCount(ctx, list, path, "VMAs");
	std::map<std::string, std::string> seen;
	std::uint64_t totalPages = 0;
	for (std::size_t i = 0; i < list.size(); ++i) {
		std::string p = jsonPathIndex(path, i);
		const Json &e = ctx.object(list[i], p, "a VMA");
		ctx.checkKeys(e, p, {"name", "start", "pages", "anon_vma", "uffd", "writable", "file"},
			      "a VMA");
		ctx.requireKeys(e, p, {"name", "start", "pages"}, "a VMA");
		VmaSpec v;
		std::string namePath = jsonPathMember(p, "name");
		v.name = ctx.name(e.at("name"), namePath, "\"name\"");
		if (auto it = seen.find(v.name); it != seen.end())
			ctx.fail(namePath, fmt::format("duplicate VMA name \"{}\" (also at {})",
						       v.name, it->second));
		seen.emplace(v.name, namePath);
		std::string startPath = jsonPathMember(p, "start");
		v.start = ctx.address(e.at("start"), startPath, "\"start\"");
		std::string pagesPath = jsonPathMember(p, "pages");
		v.pages = ctx.unsignedInt(e.at("pages"), pagesPath, "\"pages\"", true);
		if (v.pages > kMaxVmaPages)
			ctx.fail(pagesPath,
				 fmt::format("VMA \"{}\" has {} pages; at most {} (1 GiB) per "
					     "VMA are supported",
					     v.name, v.pages, kMaxVmaPages));
		totalPages += v.pages;
		if (totalPages > kMaxScenarioPages)
			ctx.fail(pagesPath,
				 fmt::format("the VMAs up to \"{}\" have {} pages; at most {} "
					     "(2 GiB) per scenario are supported",
					     v.name, totalPages, kMaxScenarioPages));
		/* end() must not wrap: the model and every message rely on it. */
		if (v.pages > (UINT64_MAX - v.start) / kPageSize)
			ctx.fail(pagesPath,
				 fmt::format("VMA \"{}\" at {} with {} pages runs past the "
					     "end of the address space",
					     v.name, hex(v.start), v.pages));
		if (const Json *a = member(e, "anon_vma")) {
			std::string ap = jsonPathMember(p, "anon_vma");
			v.anonVma = ctx.name(*a, ap, "\"anon_vma\"");
			if (!findAnonVma(out, v.anonVma))
				ctx.fail(ap, fmt::format("anon_vma \"{}\" is not listed in "
							 "state.anon_vmas; {}",
							 v.anonVma, anonVmaNames(out)));
		}
		if (const Json *u = member(e, "uffd"))
			loadUffd(ctx, *u, jsonPathMember(p, "uffd"), v);
		/* khugepaged */
		if (const Json *f = member(e, "file")) {
			std::string fp = jsonPathMember(p, "file");
			v.file = ctx.name(*f, fp, "\"file\"");
			if (std::find(out.files.begin(), out.files.end(), v.file) == out.files.end())
				ctx.fail(fp, fmt::format("file \"{}\" is not listed in state.files; {}", v.file,
							 fileNames(out)));
		}
		/* end khugepaged */
		if (const Json *w = member(e, "writable"))
			v.writable = ctx.boolean(*w, jsonPathMember(p, "writable"), "\"writable\"");
		for (std::size_t j = 0; j < out.vmas.size(); ++j) {
			const VmaSpec &o = out.vmas[j];
			if (v.start < o.end() && o.start < v.end())
				ctx.fail(startPath, fmt::format("VMA {} overlaps VMA {} (at {})",
								describeVma(v), describeVma(o),
								jsonPathIndex(path, j)));
		}
		out.vmas.push_back(std::move(v));
	}
}

void loadPages(const LoadContext &ctx, const Json &list, const std::string &path, Scenario &out)
{
	ctx.array(list, path, "\"pages\"");
	checkCount(ctx, list, path, "pages");
	std::map<std::uint64_t, std::string> byAddress; /* -> path, for duplicates */
	std::map<std::string, std::string> byFolio;
	for (std::size_t i = 0; i < list.size(); ++i) {
		std::string p = jsonPathIndex(path, i);
		const Json &e = ctx.object(list[i], p, "a page");
		ctx.checkKeys(e, p,
			      {"at", "folio", "state", "writable", "exclusive", "writeback", "content",
			       "gup", "tlb", "young", "large"},
			      "a page");
		ctx.requireKeys(e, p, {"at"}, "a page");
		PageSpec pg;
		if (const Json *st = member(e, "state")) {
			std::string sp = jsonPathMember(p, "state");
			std::string v = ctx.string(*st, sp, "\"state\"");
			if (v == "present")
				pg.state = PageSpec::State::Present;
			else if (v == "swapcache")
				pg.state = PageSpec::State::Swapcache;
			else if (v == "swapped")
				pg.state = PageSpec::State::Swapped;
			else
				ctx.fail(sp, fmt::format("unknown page state \"{}\"; allowed: present, "
							 "swapcache, swapped",
							 v));
		}
		if (pg.state == PageSpec::State::Swapped) {
			if (member(e, "folio"))
				ctx.fail(jsonPathMember(p, "folio"),
					 "a \"swapped\" page has no folio (its data is only on the "
					 "swap device); use \"swapcache\" for a folio in the swap cache");
		} else {
			ctx.requireKeys(e, p, {"at", "folio"}, "a present or swapcache page");
		}
		std::string atPath = jsonPathMember(p, "at");
		pg.at = ctx.address(e.at("at"), atPath, "\"at\"");
		const VmaSpec *vma = findVma(out, pg.at);
		if (!vma)
			ctx.fail(atPath, fmt::format("{} is outside every VMA; {}", hex(pg.at),
						     describeVmas(out)));
		if (auto it = byAddress.find(pg.at); it != byAddress.end())
			ctx.fail(atPath,
				 fmt::format("a page is already placed at {} (at {}); one page "
					     "per address",
					     hex(pg.at), it->second));
		if (vma->anonVma.empty())
			ctx.fail(atPath,
				 fmt::format("an anon page needs its VMA to have an anon_vma: "
					     "VMA {} has no \"anon_vma\"",
					     describeVma(*vma)));
		byAddress.emplace(pg.at, p);
		if (const Json *fo = member(e, "folio")) {
			std::string folioPath = jsonPathMember(p, "folio");
			pg.folio = ctx.name(*fo, folioPath, "\"folio\"");
			if (auto it = byFolio.find(pg.folio); it != byFolio.end())
				ctx.fail(folioPath,
					 fmt::format("folio \"{}\" is already mapped at {}; a small "
						     "folio is mapped at one address only (sharing it "
						     "needs fork, which is not modelled yet)",
						     pg.folio, it->second));
			byFolio.emplace(pg.folio, fmt::format("{} ({})", hex(pg.at), p));
		}
		if (const Json *w = member(e, "writable"))
			pg.writable =
			    ctx.boolean(*w, jsonPathMember(p, "writable"), "\"writable\"");
		if (const Json *x = member(e, "exclusive")) {
			std::string xp = jsonPathMember(p, "exclusive");
			pg.exclusive = ctx.boolean(*x, xp, "\"exclusive\"");
			/* present: PageAnonExclusive of the page (e.g. clear after a
			 * swapin that could not prove exclusivity) */
			if (pg.state == PageSpec::State::Present && !pg.exclusive && pg.writable)
				ctx.fail(xp, "a present page without PageAnonExclusive must be mapped "
					     "read-only (\"writable\": false): a writable anon PTE needs "
					     "PageAnonExclusive (I-5b)");
		}
		if (const Json *wb = member(e, "writeback")) {
			std::string wp = jsonPathMember(p, "writeback");
			if (pg.state != PageSpec::State::Swapcache)
				ctx.fail(wp, "\"writeback\" is only for a \"swapcache\" page (a folio "
					     "whose swap-out I/O is still running)");
			pg.writeback = ctx.boolean(*wb, wp, "\"writeback\"");
		}
		if (const Json *l = member(e, "large")) {
			std::string lp = jsonPathMember(p, "large");
			if (pg.state != PageSpec::State::Present)
				ctx.fail(lp, "\"large\" is only for a \"present\" page");
			pg.large = ctx.boolean(*l, lp, "\"large\"");
		}
		if (const Json *y = member(e, "young")) {
			std::string yp = jsonPathMember(p, "young");
			if (pg.state != PageSpec::State::Present)
				ctx.fail(yp, "\"young\" is the present PTE's accessed bit: only for "
					     "\"present\" pages");
			pg.young = ctx.boolean(*y, yp, "\"young\"");
		}
		if (const Json *c = member(e, "content"))
			pg.content =
			    ctx.unsignedInt(*c, jsonPathMember(p, "content"), "\"content\"", false);
		if (const Json *g = member(e, "gup")) {
			std::string gp = jsonPathMember(p, "gup");
			pg.gup = ctx.string(*g, gp, "\"gup\"");
			if (pg.gup != "pin" && pg.gup != "get")
				ctx.fail(gp, fmt::format("unknown GUP reference \"{}\"; allowed: pin "
							 "(FOLL_PIN), get (FOLL_GET)",
							 pg.gup));
			if (pg.state != PageSpec::State::Present)
				ctx.fail(gp, "\"gup\" is only for a \"present\" page");
		}
		if (const Json *t = member(e, "tlb")) {
			std::string tp = jsonPathMember(p, "tlb");
			if (pg.state != PageSpec::State::Present)
				ctx.fail(tp, "\"tlb\" is only for a \"present\" page");
			ctx.array(*t, tp, "\"tlb\"");
			for (std::size_t j = 0; j < t->size(); ++j)
				pg.tlb.push_back(ctx.name((*t)[j], jsonPathIndex(tp, j), "a thread name"));
		}
		out.pages.push_back(std::move(pg));
	}
}

void loadSwap(const LoadContext &ctx, const Json &sw, const std::string &path, Scenario &out)
{
	ctx.object(sw, path, "\"swap\"");
	ctx.checkKeys(sw, path, {"slots", "stable_writes", "synchronous_io"}, "\"swap\"");
	if (const Json *n = member(sw, "slots")) {
		std::string np = jsonPathMember(path, "slots");
		out.swap.slots = ctx.unsignedInt(*n, np, "\"slots\"", true);
		if (out.swap.slots > 64)
			ctx.fail(np, fmt::format("at most 64 swap slots, got {}", out.swap.slots));
	}
	if (const Json *b = member(sw, "stable_writes"))
		out.swap.stableWrites =
		    ctx.boolean(*b, jsonPathMember(path, "stable_writes"), "\"stable_writes\"");
	if (const Json *b = member(sw, "synchronous_io"))
		out.swap.synchronousIo =
		    ctx.boolean(*b, jsonPathMember(path, "synchronous_io"), "\"synchronous_io\"");
}

} // namespace

void loadState(const LoadContext &ctx, const Json &state, Scenario &out)
{
	const std::string path = "$.state";
	ctx.object(state, path, "\"state\"");
	ctx.checkKeys(state, path, {"anon_vmas", "files", "vmas", "pages", "swap", "tlb_flush"},
		      "\"state\"");
	if (const Json *t = member(state, "tlb_flush")) {
		std::string tp = jsonPathMember(path, "tlb_flush");
		std::string v = ctx.string(*t, tp, "\"tlb_flush\"");
		if (v != "ipi" && v != "broadcast")
			ctx.fail(tp, fmt::format("unknown TLB flush \"{}\"; allowed: ipi (the default: "
						 "flush IPIs wait for IRQs-off sections), broadcast "
						 "(INVLPGB or a paravirt flush: no IPI)",
						 v));
		out.tlbBroadcast = v == "broadcast";
	}
	/* Each part refers only to the ones before it. */
	if (const Json *a = member(state, "anon_vmas"))
		loadAnonVmas(ctx, *a, jsonPathMember(path, "anon_vmas"), out);
	if (const Json *f = member(state, "files"))
		loadFiles(ctx, *f, jsonPathMember(path, "files"), out);
	if (const Json *v = member(state, "vmas"))
		loadVmas(ctx, *v, jsonPathMember(path, "vmas"), out);
	if (const Json *sw = member(state, "swap"))
		loadSwap(ctx, *sw, jsonPathMember(path, "swap"), out);
	if (const Json *p = member(state, "pages"))
		loadPages(ctx, *p, jsonPathMember(path, "pages"), out);
	std::uint64_t swapPages = 0;
	for (const PageSpec &pg : out.pages)
		swapPages += pg.state != PageSpec::State::Present;
	if (swapPages > out.swap.slots)
		ctx.fail(jsonPathMember(path, "swap"),
			 fmt::format("{} pages start swapped out but the swap device has only {} "
				     "slots (\"slots\")",
				     swapPages, out.swap.slots));
}

} // namespace mmrace::scenarios
