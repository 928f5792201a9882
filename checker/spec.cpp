/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sequential specification (spec.hpp, docs/sweep.md). Each op's rules
 * come from its syscall or kernel-function contract (mremap(2), madvise(2),
 * munmap(2), ioctl_userfaultfd(2), mm/gup.c, mm/vmscan.c's return values as
 * the catalogue documents them); nothing here calls or mirrors model/ops.
 */
#include "spec.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

namespace mmrace::checker
{

namespace
{

using scenarios::kPageSize;
using scenarios::OpSpec;
using scenarios::Scenario;

constexpr long kENOENT = -2, kEAGAIN = -11, kENOMEM = -12, kEFAULT = -14, kEBUSY = -16,
	       kEEXIST = -17, kEINVAL = -22;
constexpr std::uint64_t kPmd = 2ull << 20;

std::string hex(std::uint64_t v)
{
	return fmt::format("{:#x}", v);
}

/* What covers one page of the address space. */
struct Cover {
	int file = -1;		 /* index in scenario.files; -1: anon */
	std::uint64_t index = 0; /* the file page it maps (file VMAs) */
	bool anonVma = false;	 /* has an anon_vma: faults can allocate */
	bool writable = true;
	bool missing = false; /* registered UFFD MISSING */
	int vma = 0;	      /* which VMA (split pieces keep the id) */
};

/* An anon entry (present or swap PTE) and the data behind it. */
struct Entry {
	enum class Kind { Present, Swap, Unknown } kind = Kind::Present;
	std::optional<std::uint64_t> value; /* nullopt: the spec does not know */
	int ident = 0;		    /* which page of memory this is (GUP references name it) */
	bool exclusive = true;	    /* known PageAnonExclusive / pte_swp_exclusive */
	bool pinnedOutside = false; /* the scenario's "gup": held by a driver */
	bool large = false;
};

class Spec
{
public:
	explicit Spec(const Scenario &sc) : sc_(sc)
	{
		for (const auto &v : sc.vmas) {
			int file = -1;
			for (std::size_t i = 0; i < sc.files.size(); ++i)
				if (sc.files[i] == v.file)
					file = static_cast<int>(i);
			bool missing =
			    std::find(v.uffd.begin(), v.uffd.end(), "missing") != v.uffd.end();
			int id = nextVma_++;
			for (std::uint64_t p = 0; p < v.pages; ++p) {
				Cover c{file, p, !v.anonVma.empty(), v.writable, missing, id};
				cover_[v.start + p * kPageSize] = c;
			}
			for (std::uint64_t a = v.start & ~(kPmd - 1); a < v.end(); a += kPmd)
				tables_.insert(a);
		}
		for (const auto &pg : sc.pages) {
			Entry e;
			e.kind = pg.state == scenarios::PageSpec::State::Present
				     ? Entry::Kind::Present
				     : Entry::Kind::Swap;
			if (pg.content)
				e.value = pg.content;
			e.ident = nextIdent_++;
			e.exclusive = pg.exclusive;
			e.pinnedOutside = !pg.gup.empty();
			e.large = pg.large;
			entries_[pg.at] = e;
			if (!pg.folio.empty())
				folios_[pg.folio] = e.ident;
		}
	}

	/* "" or why the model's result `r` of op `op` is not allowed; applies
	 * the op's effect for that result. */
	std::string step(const OpSpec &op, long r)
	{
		const std::string &n = op.op;
		if (n == "access")
			return access(op, r);
		if (n == "gup_fast")
			return gupFast(op, r);
		if (n == "dma_read" || n == "dma_write" || n == "unpin")
			return gupUse(op, r);
		if (n == "munmap")
			return munmapOp(op, r);
		if (n == "madvise_dontneed")
			return madvise(op, r);
		if (n == "mremap")
			return mremap(op, r);
		if (n == "uffdio_move")
			return uffdMove(op, r);
		if (n == "uffdio_copy")
			return uffdCopy(op, r);
		if (n == "retract_page_tables")
			return r >= 0 ? "" : expect(r, "a count of tables retracted (>= 0)");
		if (n == "migrate" || n == "reclaim" || n == "writeback_done" ||
		    n == "folio_referenced")
			return folioOp(op, r);
		return ""; /* lock_sequence: no result, no effect */
	}

	/* Compares the end state of the model with the spec's. */
	std::string compare(const model::World &w) const
	{
		std::map<std::uint64_t, const model::Vma *> modelCover;
		for (const model::Vma &v : w.vmas)
			if (!v.detached)
				for (std::uint64_t a = v.start; a < v.end; a += kPageSize)
					modelCover[a] = &v;
		for (const auto &[a, v] : modelCover)
			if (!cover_.count(a))
				return fmt::format(
				    "end state: {} is covered by VMA {} [{}, {}) in the "
				    "model, by no VMA in the spec",
				    hex(a), v->name, hex(v->start), hex(v->end));
		for (const auto &[a, c] : cover_) {
			auto it = modelCover.find(a);
			if (it == modelCover.end())
				return fmt::format(
				    "end state: {} is covered by a VMA in the spec, by none "
				    "in the model",
				    hex(a));
			const model::Vma &v = *it->second;
			int mfile = v.file == model::kNone ? -1 : static_cast<int>(v.file);
			if (mfile != c.file)
				return fmt::format(
				    "end state: {} is in {} VMA {} in the model, in {} VMA "
				    "in the spec",
				    hex(a), mfile < 0 ? "an anon" : "a file", v.name,
				    c.file < 0 ? "an anon" : "a file");
			if (c.file >= 0 && v.pageIndex(a) != c.index)
				return fmt::format(
				    "end state: {} maps file page {} in the model, {} in "
				    "the spec",
				    hex(a), v.pageIndex(a), c.index);
			std::optional<std::uint64_t> want = valueAt(a, w);
			if (!want)
				continue;
			std::uint64_t got = modelValue(w, a, v);
			if (got != *want)
				return fmt::format(
				    "end state: a load of {} would return {:#x} in the "
				    "model, {:#x} in the spec",
				    hex(a), got, *want);
		}
		return "";
	}

private:
	static std::string expect(long r, const std::string &allowed)
	{
		return fmt::format("returned {}, the spec allows {}", r, allowed);
	}

	const Cover *coverAt(std::uint64_t a) const
	{
		auto it = cover_.find(a);
		return it == cover_.end() ? nullptr : &it->second;
	}
	Entry *entryAt(std::uint64_t a)
	{
		auto it = entries_.find(a);
		return it == entries_.end() ? nullptr : &it->second;
	}
	bool referenced(int ident) const
	{
		return std::any_of(refs_.begin(), refs_.end(),
				   [&](const Ref &r) { return r.ident == ident; });
	}

	std::uint64_t fileContent(int file, std::uint64_t index) const
	{
		model::File f;
		f.name = sc_.files[static_cast<std::size_t>(file)];
		return f.content(index);
	}

	/* What a load of `a` returns (the address is covered). */
	std::optional<std::uint64_t> valueAt(std::uint64_t a, const model::World &) const
	{
		if (unknown_.count(a))
			return std::nullopt;
		auto it = entries_.find(a);
		if (it != entries_.end())
			return it->second.value;
		const Cover &c = cover_.at(a);
		return c.file >= 0 ? fileContent(c.file, c.index) : 0;
	}

	/* What the model's state would give a load of `a` (read only). */
	static std::uint64_t modelValue(const model::World &w, std::uint64_t a, const model::Vma &v)
	{
		model::PteRef r = w.pteFor(a);
		const model::Pte *p = r.table == model::kNone ? nullptr : &w.pte(r);
		if (!p || p->none()) {
			if (v.file != model::kNone)
				return w.files[v.file].content(v.pageIndex(a));
			return 0;
		}
		if (p->present() || p->isMigration())
			return w.folios[p->folio].content;
		const model::SwapSlot &s = w.swap.slots[p->swap];
		return s.cache != model::kNone ? w.folios[s.cache].content : s.data;
	}

	void unmapRange(std::uint64_t start, std::uint64_t end)
	{
		for (std::uint64_t a = start; a < end; a += kPageSize) {
			cover_.erase(a);
			entries_.erase(a);
			unknown_.erase(a);
		}
		/* free_pgtables(): a PMD range no VMA covers any more may lose
		 * its table; the model builds none on a later fault there */
		for (std::uint64_t b = start & ~(kPmd - 1); b < end; b += kPmd) {
			bool used = false;
			for (const auto &[a, c] : cover_)
				used = used || (a >= b && a < b + kPmd);
			if (!used)
				tables_.erase(b);
		}
	}

	bool rangeFree(std::uint64_t start, std::uint64_t end) const
	{
		auto it = cover_.lower_bound(start);
		return it == cover_.end() || it->first >= end;
	}

	/* access: a load or store from user space */
	std::string access(const OpSpec &op, long r)
	{
		std::uint64_t a = op.arg("addr")->number;
		bool write = op.arg("write") && op.arg("write")->flag;
		const Cover *c = coverAt(a);
		if (!c || (write && !c->writable))
			return r == kEFAULT
				   ? ""
				   : expect(r,
					    "-14 (SIGSEGV: no VMA, or a store without VM_WRITE)");
		Entry *e = entryAt(a);
		/* Faults the model does not build (the catalogue's -12): any fault
		 * on a file VMA (do_fault(); do_swap_page() there too), and
		 * do_anonymous_page() without an anon_vma or a PTE table. */
		if (r == kENOMEM &&
		    (c->file >= 0 || (!e && (!c->anonVma || !tables_.count(a & ~(kPmd - 1))))))
			return "";
		if (r != 0)
			return expect(r, "0");
		if (!e) {
			Entry ne;
			ne.ident = nextIdent_++;
			ne.value = c->file >= 0 ? fileContent(c->file, c->index) : 0;
			entries_[a] = ne;
			e = &entries_[a];
		}
		e->kind = Entry::Kind::Present;
		if (write) {
			const scenarios::OpArg *v = op.arg("value");
			if (v)
				e->value = v->number;
			else
				e->value.reset();
			/* a store through a read-only PTE may copy (wp_page_copy): a GUP
			 * reference may now name the old page */
			if (referenced(e->ident))
				e->ident = nextIdent_++;
			e->exclusive = true;
		}
		return "";
	}

	std::string gupFast(const OpSpec &op, long r)
	{
		std::uint64_t a = op.arg("addr")->number;
		bool write = op.arg("write") && op.arg("write")->flag;
		const Cover *c = coverAt(a);
		Entry *e = entryAt(a);
		bool possible = c && e && e->kind != Entry::Kind::Swap && (!write || c->writable);
		if (r == 0)
			return ""; /* GUP-fast may always fall back (not modelled) */
		if (r != 1)
			return expect(r, "0 or 1 page");
		if (!possible)
			return fmt::format("returned 1 page, but {} has no present page{}", hex(a),
					   write && c && !c->writable ? " writable" : "");
		refs_.push_back({e->ident, write});
		return "";
	}

	std::string gupUse(const OpSpec &op, long r)
	{
		if (refs_.empty())
			return r == kEINVAL ? ""
					    : expect(r, "-22 (the thread holds no GUP reference)");
		if (op.op == "unpin") {
			refs_.clear();
			return r == 0 ? "" : expect(r, "0");
		}
		if (op.op == "dma_read") {
			/* the result is the value read: the page's, if still mapped */
			for (const auto &[a, e] : entries_)
				if (e.ident == refs_.back().ident && e.value &&
				    !unknown_.count(a) && r != static_cast<long>(*e.value))
					return expect(
					    r, fmt::format("{:#x} (the page's data, mapped at {})",
							   *e.value, hex(a)));
			return r >= 0 ? "" : expect(r, "the value read");
		}
		const Ref &ref = refs_.back();
		if (!ref.write)
			return r == kEINVAL || r == 0 ? "" : expect(r, "0 or -22 (not FOLL_WRITE)");
		if (r != 0)
			return expect(r, "0");
		const scenarios::OpArg *v = op.arg("value");
		for (auto &[a, e] : entries_)
			if (e.ident == ref.ident) {
				if (v)
					e.value = v->number;
				else
					e.value.reset();
			}
		return "";
	}

	std::string munmapOp(const OpSpec &op, long r)
	{
		std::uint64_t a = op.arg("addr")->number, len = op.arg("len")->number;
		if (r != 0)
			return expect(r, "0");
		unmapRange(a, a + len);
		return "";
	}

	std::string madvise(const OpSpec &op, long r)
	{
		std::uint64_t a = op.arg("addr")->number, len = op.arg("len")->number;
		bool all = true, any = false;
		for (std::uint64_t x = a; x < a + len; x += kPageSize) {
			all = all && coverAt(x);
			any = any || coverAt(x);
		}
		if (!any)
			return r == kENOMEM ? "" : expect(r, "-12 (nothing mapped)");
		if (!all && r == kENOMEM) {
			for (std::uint64_t x = a; x < a + len; x += kPageSize)
				if (coverAt(x))
					unknown_.insert(x);
			return "";
		}
		if (!all || r != 0)
			return expect(r, all ? "0" : "-12 (part of the range is not mapped)");
		for (std::uint64_t x = a; x < a + len; x += kPageSize)
			entries_.erase(x);
		return "";
	}

	/* move_vma(): [old, old + oldLen) to [dst, dst + newLen) */
	void move(std::uint64_t old, std::uint64_t oldLen, std::uint64_t dst, std::uint64_t newLen)
	{
		Cover base = cover_.at(old);
		std::map<std::uint64_t, Cover> covers;
		std::map<std::uint64_t, Entry> moved;
		std::set<std::uint64_t> unknown;
		for (std::uint64_t off = 0; off < oldLen; off += kPageSize) {
			covers[dst + off] = cover_.at(old + off);
			if (auto it = entries_.find(old + off); it != entries_.end())
				moved[dst + off] = it->second;
			if (unknown_.count(old + off))
				unknown.insert(dst + off);
		}
		int id = nextVma_++;
		for (auto &[a, c] : covers)
			c.vma = id;
		for (std::uint64_t off = oldLen; off < newLen; off += kPageSize) {
			Cover c = base;
			c.vma = id;
			c.index = base.index + off / kPageSize;
			covers[dst + off] = c;
		}
		unmapRange(old, old + oldLen);
		for (auto &[a, c] : covers) {
			cover_[a] = c;
			tables_.insert(a & ~(kPmd - 1));
		}
		for (auto &[a, e] : moved)
			entries_[a] = e;
		unknown_.insert(unknown.begin(), unknown.end());
	}

	std::string mremap(const OpSpec &op, long r)
	{
		auto flag = [&](const char *n) { return op.arg(n) && op.arg(n)->flag; };
		std::uint64_t old = op.arg("old")->number, oldLen = op.arg("old_len")->number;
		std::uint64_t newLen = op.arg("new_len")->number;
		bool maymove = flag("maymove"), fixed = flag("fixed");
		bool allocFails = flag("pgtable_alloc_fails");
		std::uint64_t newAddr = op.arg("new_addr") ? op.arg("new_addr")->number : 0;
		if (fixed && !maymove)
			return r == kEINVAL
				   ? ""
				   : expect(r, "-22 (MREMAP_FIXED without MREMAP_MAYMOVE)");
		if (newLen == 0)
			return r == kEINVAL ? "" : expect(r, "-22 (new_len 0)");
		/* do_mremap() as mm/mremap.c at the model's reference commit:
		 * vma_lookup(old) or -EFAULT. mremap_to() (FIXED): the overlap
		 * check (-EINVAL), do_munmap() of the destination, the shrink
		 * (old_len = new_len), then resize_is_valid(): -EFAULT if the
		 * range leaves its VMA ("We can't remap across vm area
		 * boundaries"), with the destination already unmapped.
		 * mremap_at(): no-resize returns old and an in-place shrink
		 * unmaps the tail, both unchecked; an expansion checks
		 * resize_is_valid() first. */
		const Cover *c = coverAt(old);
		if (!c)
			return r == kEFAULT ? "" : expect(r, "-14 (no VMA at old)");
		auto insideVma = [&](std::uint64_t len) {
			for (std::uint64_t x = old; x < old + len; x += kPageSize)
				if (!coverAt(x) || coverAt(x)->vma != c->vma)
					return false;
			return true;
		};
		if (fixed) {
			if (newAddr < old + oldLen && old < newAddr + newLen)
				return r == kEINVAL ? "" : expect(r, "-22 (the ranges overlap)");
			unmapRange(newAddr, newAddr + newLen);
			if (newLen < oldLen) {
				unmapRange(old + newLen, old + oldLen);
				oldLen = newLen;
			}
			if (!coverAt(old) || !insideVma(oldLen))
				return r == kEFAULT
					   ? ""
					   : expect(
						 r,
						 "-14 (the range leaves its VMA; the destination "
						 "is unmapped already)");
			if (r == kENOMEM && allocFails)
				return "";
			if (r != static_cast<long>(newAddr))
				return expect(r, fmt::format("{} (new_addr)", hex(newAddr)));
			move(old, oldLen, newAddr, newLen);
			return "";
		}
		if (newLen > oldLen && !insideVma(oldLen))
			return r == kEFAULT ? ""
					    : expect(r, "-14 (the range to expand leaves its VMA)");
		if (newLen == oldLen)
			return r == static_cast<long>(old)
				   ? ""
				   : expect(r, hex(old) + " (nothing to do)");
		if (newLen < oldLen) {
			if (r != static_cast<long>(old))
				return expect(r, hex(old) + " (shrunk in place)");
			unmapRange(old + newLen, old + oldLen);
			return "";
		}
		/* growing: in place if the range ends the VMA and the space after is free */
		std::uint64_t end = old + oldLen;
		if (rangeFree(end, old + newLen)) {
			if (r != static_cast<long>(old))
				return expect(r, hex(old) + " (grown in place)");
			const Cover base = *coverAt(end - kPageSize);
			for (std::uint64_t x = end; x < old + newLen; x += kPageSize) {
				Cover nc = base;
				nc.index = base.index + (x - end) / kPageSize + 1;
				cover_[x] = nc;
			}
			return "";
		}
		if (!maymove)
			return r == kENOMEM
				   ? ""
				   : expect(r, "-12 (cannot grow in place without MREMAP_MAYMOVE)");
		if (r == kENOMEM && allocFails)
			return "";
		/* get_unmapped_area(): any free, page-aligned range */
		if (r < 0 || static_cast<std::uint64_t>(r) % kPageSize ||
		    !rangeFree(static_cast<std::uint64_t>(r),
			       static_cast<std::uint64_t>(r) + newLen))
			return expect(r, "a new address with a free range of new_len behind it");
		move(old, oldLen, static_cast<std::uint64_t>(r), newLen);
		return "";
	}

	/* UFFDIO_MOVE, page by page: -1 refuses, 1 must move, 0 either */
	int movable(std::uint64_t s, std::uint64_t d)
	{
		const Cover *sc = coverAt(s), *dc = coverAt(d);
		if (!sc || !dc || !dc->missing || sc->file >= 0 || dc->file >= 0)
			return -1;
		Entry *se = entryAt(s);
		if (!se || entryAt(d))
			return -1; /* -ENOENT (a hole) / -EEXIST (any !pte_none dst) */
		if (se->kind != Entry::Kind::Present || !se->exclusive || se->pinnedOutside ||
		    se->large || referenced(se->ident) || sc->writable != dc->writable ||
		    !sc->anonVma)
			return 0;
		return 1;
	}

	std::string uffdMove(const OpSpec &op, long r)
	{
		std::uint64_t src = op.arg("src")->number, dst = op.arg("dst")->number;
		std::uint64_t len = op.arg("len")->number;
		std::uint64_t pages = len / kPageSize;
		std::uint64_t moved = r > 0 ? static_cast<std::uint64_t>(r) / kPageSize : 0;
		if (r > static_cast<long>(len) || (r > 0 && r % static_cast<long>(kPageSize)) ||
		    r == 0)
			return expect(r, "a positive multiple of 4096 up to len, or -errno");
		/* validate_move_areas(): both VMAs anonymous, the same access
		 * flags, the source VM_WRITE; else -EINVAL before any page */
		const Cover *sv = coverAt(src), *dv = coverAt(dst);
		/* move_pages(): both ranges "fully within a single existing
		 * vma", else -EINVAL before any page */
		if (sv && dv && (!oneVma(src, len) || !oneVma(dst, len)))
			return r == kEINVAL
				   ? ""
				   : expect(r, "-22 (move_pages(): a range not inside one VMA)");
		if (sv && dv && dv->missing &&
		    (sv->file >= 0 || dv->file >= 0 || !sv->writable ||
		     sv->writable != dv->writable))
			return r == kEINVAL
				   ? ""
				   : expect(r, "-22 (validate_move_areas(): not both anonymous "
					       "and writable)");
		for (std::uint64_t i = 0; i < moved; ++i)
			if (movable(src + i * kPageSize, dst + i * kPageSize) < 0)
				return fmt::format(
				    "moved page {} ({} -> {}), which UFFDIO_MOVE refuses: "
				    "{}",
				    i, hex(src + i * kPageSize), hex(dst + i * kPageSize),
				    whyNot(src + i * kPageSize, dst + i * kPageSize));
		if (moved < pages && movable(src + moved * kPageSize, dst + moved * kPageSize) > 0)
			return fmt::format(
			    "returned {}, but page {} ({} -> {}) is movable (present, exclusive, "
			    "unpinned, none at dst): the spec expects {}",
			    r, moved, hex(src + moved * kPageSize), hex(dst + moved * kPageSize),
			    moved ? "the count of the pages moved before the one that failed"
				  : "it to move");
		for (std::uint64_t i = 0; i < moved; ++i) {
			entries_[dst + i * kPageSize] = entries_.at(src + i * kPageSize);
			entries_.erase(src + i * kPageSize);
		}
		(void)kEAGAIN, (void)kEBUSY, (void)kEEXIST, (void)kENOENT;
		return "";
	}

	/* every page of [a, a + len) in the VMA that covers a (split pieces
	 * share an id, so a range over two adjacent pieces of one VMA counts as
	 * one) */
	bool oneVma(std::uint64_t a, std::uint64_t len) const
	{
		const Cover *first = coverAt(a);
		for (std::uint64_t x = a; x < a + len; x += kPageSize) {
			const Cover *c = coverAt(x);
			if (!c || !first || c->vma != first->vma)
				return false;
		}
		return true;
	}

	std::string whyNot(std::uint64_t s, std::uint64_t d)
	{
		const Cover *sc = coverAt(s), *dc = coverAt(d);
		if (!sc || !dc)
			return "no VMA";
		if (!dc->missing)
			return "dst not registered";
		if (sc->file >= 0 || dc->file >= 0)
			return "not an anon VMA";
		if (!entryAt(s))
			return "src has no page (-ENOENT)";
		return "dst PTE is not none (-EEXIST)";
	}

	std::string uffdCopy(const OpSpec &op, long r)
	{
		std::uint64_t d = op.arg("dst")->number;
		const Cover *c = coverAt(d);
		if (!c || !c->missing)
			return r == kENOENT ? ""
					    : expect(r, "-2 (no VMA, or not registered MISSING)");
		if (entryAt(d))
			return r == kEEXIST ? "" : expect(r, "-17 (a PTE is there)");
		if (r != static_cast<long>(kPageSize))
			return expect(r, "4096");
		Entry e;
		e.ident = nextIdent_++;
		if (const scenarios::OpArg *v = op.arg("value"))
			e.value = v->number;
		entries_[d] = e;
		unknown_.erase(d);
		return "";
	}

	/* Ops on one folio: reclaim, migrate, writeback_done, folio_referenced.
	 * None changes what a load returns; reclaim and migrate may change how
	 * the page is mapped (swap entry, new folio). */
	std::string folioOp(const OpSpec &op, long r)
	{
		const std::string &n = op.op;
		Entry *e = nullptr;
		if (const scenarios::OpArg *a = op.arg("addr")) {
			e = entryAt(a->number);
			bool present = coverAt(a->number) && e && e->kind != Entry::Kind::Swap;
			bool maybe = e && e->kind == Entry::Kind::Unknown;
			if (r == -1 && present && !maybe)
				return expect(r, "0, 1 or 2 (a page is mapped there)");
			/* reclaim at addr isolates the LRU's folio for addr (the
			 * scenario's page there, or the last one a fault put there),
			 * which need not be mapped there any more: it may still be
			 * in the swap cache, or freed. Loads at addr are unaffected. */
			if (r != -1 && !present && !maybe && n != "reclaim")
				return expect(r, "-1 (nothing is mapped there)");
			if (r == -1)
				return "";
		} else {
			auto it = folios_.find(op.arg("folio")->text);
			if (it == folios_.end())
				return ""; /* the folio was freed: anything goes */
			for (auto &[addr, en] : entries_)
				if (en.ident == it->second)
					e = &en;
		}
		if (n == "reclaim" && (r < 0 || r > 2))
			return expect(r, "0, 1 or 2");
		if (n == "migrate" && r != 0 && r != kEAGAIN && r != kEBUSY)
			return expect(r, "0, -11 or -16");
		if (n == "writeback_done" && r != 0 && r != -1)
			return expect(r, "0 or -1");
		if ((n == "reclaim" || n == "migrate") && e) {
			e->kind = Entry::Kind::Unknown;
			/* the name now refers to a freed folio or a new one */
			for (auto it = folios_.begin(); it != folios_.end();)
				it = it->second == e->ident ? folios_.erase(it) : std::next(it);
		}
		return "";
	}

	struct Ref {
		int ident;
		bool write;
	};

	const Scenario &sc_;
	std::map<std::uint64_t, Cover> cover_;
	std::map<std::uint64_t, Entry> entries_;
	std::set<std::uint64_t> unknown_;   /* covered, content left open */
	std::set<std::uint64_t> tables_;    /* PMD ranges with a PTE table */
	std::map<std::string, int> folios_; /* scenario folio name -> ident */
	std::vector<Ref> refs_;
	int nextIdent_ = 1;
	int nextVma_ = 0;
};

} // namespace

std::string checkSequentialSpec(const Scenario &sc, const model::World &w)
{
	if (sc.threads.size() != 1)
		return "";
	Spec spec(sc);
	std::size_t next = 0;
	const auto &ops = sc.threads[0].ops;
	for (std::size_t i = 0; i < ops.size(); ++i) {
		const OpSpec &op = ops[i];
		if (op.op == "lock_sequence")
			continue;
		while (next < w.results.size() && w.results[next].task != 0)
			++next;
		if (next == w.results.size())
			return fmt::format("op {} ({}) recorded no result", i, op.op);
		long r = w.results[next++].value;
		if (std::string why = spec.step(op, r); !why.empty())
			return fmt::format("op {} ({}): {}", i, op.op, why);
	}
	return spec.compare(w);
}

} // namespace mmrace::checker
