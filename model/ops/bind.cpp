/* SPDX-License-Identifier: GPL-2.0 */
#include <stdexcept>
#include <string>

#include "ops.hpp"
#include "scenarios/scenario.hpp"

namespace mmrace::model {

namespace {

const scenarios::OpArg &need(const scenarios::OpSpec &op, const char *name)
{
	const scenarios::OpArg *a = op.arg(name);
	if (!a)
		throw std::invalid_argument(op.op + ": missing " + name);
	return *a;
}

Lock *resolveLock(World &w, const std::string &ref)
{
	if (ref == "mmap_lock")
		return w.mmapLock.get();
	auto colon = ref.find(':');
	std::string kind = ref.substr(0, colon), name = colon == std::string::npos ? "" : ref.substr(colon + 1);
	if (kind == "folio") {
		FolioIdx f = w.findFolio(name);
		if (f != kNone)
			return w.folios[f].lock.get();
	} else if (kind == "anon_vma") {
		AnonVmaIdx a = w.findAnonVma(name);
		if (a != kNone)
			return &w.rootRwsem(a);
	} else if (kind == "ptl") {
		std::uint64_t addr = std::stoull(name, nullptr, 0);
		return &w.ptl(w.pteFor(addr));
	}
	throw std::invalid_argument("unknown lock reference " + ref);
}

} // namespace

std::function<void(Kernel &)> bindOp(World &w, const scenarios::OpSpec &op)
{
	if (op.op == "folio_referenced") {
		FolioIdx f = w.findFolio(need(op, "folio").text);
		if (f == kNone)
			throw std::invalid_argument("folio_referenced: unknown folio");
		return [f](Kernel &k) {
			int r = folioReferenced(k, f);
			k.world().results.push_back({k.self(), "folio_referenced", r});
		};
	}
	if (op.op == "uffdio_move") {
		std::uint64_t src = need(op, "src").number, dst = need(op, "dst").number;
		std::uint64_t len = need(op, "len").number;
		return [=](Kernel &k) {
			int r = uffdioMove(k, dst, src, len);
			k.world().results.push_back({k.self(), "uffdio_move", r});
		};
	}
	if (op.op == "lock_sequence") {
		std::vector<Lock *> locks;
		for (const std::string &ref : need(op, "locks").list)
			locks.push_back(resolveLock(w, ref));
		return [locks](Kernel &k) { lockSequence(k, locks); };
	}
	/* access (faults) */
	if (op.op == "access") {
		std::uint64_t addr = need(op, "addr").number;
		const scenarios::OpArg *wr = op.arg("write");
		const scenarios::OpArg *val = op.arg("value");
		bool write = wr && wr->flag;
		std::uint64_t value = val ? val->number : w.nextWriteValue++;
		return [=](Kernel &k) {
			std::uint64_t v = value;
			int r = userAccess(k, addr, write, v);
			k.world().results.push_back({k.self(), "access", r});
		};
	}
	/* end access */
	/* gup */
	if (op.op == "gup_fast") {
		std::uint64_t addr = need(op, "addr").number;
		const scenarios::OpArg *wr = op.arg("write"), *pin = op.arg("pin");
		bool write = wr && wr->flag;
		bool foll_pin = pin ? pin->flag : true;	/* FOLL_PIN unless "pin": false */
		const scenarios::OpArg *lt = op.arg("longterm");
		bool longterm = lt && lt->flag;
		return [=](Kernel &k) {
			int r = gupFast(k, addr, write, foll_pin, nullptr, longterm);
			k.world().results.push_back({k.self(), "gup_fast", r});
		};
	}
	if (op.op == "dma_write" || op.op == "dma_read") {
		bool write = op.op == "dma_write";
		const scenarios::OpArg *v = op.arg("value");
		std::uint64_t value = v ? v->number : write ? w.nextWriteValue++ : 0;
		const char *name = write ? "dma_write" : "dma_read";
		return [=](Kernel &k) {
			long r = dmaAccessOp(k, write, value);
			k.world().results.push_back({k.self(), name, r});
		};
	}
	if (op.op == "unpin") {
		return [](Kernel &k) {
			long r = unpinAll(k);
			k.world().results.push_back({k.self(), "unpin", r});
		};
	}
	if (op.op == "munmap") {
		std::uint64_t addr = need(op, "addr").number, len = need(op, "len").number;
		return [=](Kernel &k) {
			long r = munmap(k, addr, len);
			k.world().results.push_back({k.self(), "munmap", r});
		};
	}
	/* end gup */
	/* migrate */
	if (op.op == "migrate") {
		FolioIdx f = w.findFolio(need(op, "folio").text);
		if (f == kNone)
			throw std::invalid_argument("migrate: unknown folio");
		return [f](Kernel &k) {
			int r = migratePages(k, f);
			k.world().results.push_back({k.self(), "migrate", r});
		};
	}
	/* end migrate */
	/* reclaim */
	if (op.op == "reclaim" && op.arg("addr")) {
		std::uint64_t addr = op.arg("addr")->number;
		int bio = w.takeReclaimBio();
		return [addr, bio](Kernel &k) {
			int r = shrinkFolioAt(k, addr, bio);
			k.world().results.push_back({k.self(), "reclaim", r});
		};
	}
	if (op.op == "reclaim" || op.op == "writeback_done") {
		FolioIdx f = w.findFolio(need(op, "folio").text);
		if (f == kNone)
			throw std::invalid_argument(op.op + ": unknown folio");
		if (op.op == "reclaim") {
			int bio = w.takeReclaimBio();
			return [f, bio](Kernel &k) {
				int r = shrinkFolioList(k, f, bio);
				k.world().results.push_back({k.self(), "reclaim", r});
			};
		}
		return [f](Kernel &k) {
			int r = folioEndWriteback(k, f);
			k.world().results.push_back({k.self(), "writeback_done", r});
		};
	}
	/* end reclaim */
	/* swapfile */
	if (op.op == "madvise_dontneed") {
		std::uint64_t addr = need(op, "addr").number, len = need(op, "len").number;
		return [addr, len](Kernel &k) {
			long r = madviseDontneed(k, addr, len);
			k.world().results.push_back({k.self(), "madvise_dontneed", r});
		};
	}
	/* end swapfile */
	/* mremap */
	if (op.op == "mremap") {
		MremapArgs a;
		a.oldAddr = need(op, "old").number;
		a.oldLen = need(op, "old_len").number;
		a.newLen = need(op, "new_len").number;
		const scenarios::OpArg *x = op.arg("new_addr");
		a.newAddr = x ? x->number : 0;
		x = op.arg("maymove");
		a.mayMove = x && x->flag;
		x = op.arg("fixed");
		a.fixed = x && x->flag;
		x = op.arg("pgtable_alloc_fails");
		a.pgtableAllocFails = x && x->flag;
		x = op.arg("relocate_anon");
		a.relocateAnon = x && x->flag;
		x = op.arg("must_relocate_anon");
		a.mustRelocateAnon = x && x->flag;
		return [a](Kernel &k) {
			long r = mremap(k, a);
			k.world().results.push_back({k.self(), "mremap", r});
		};
	}
	/* end mremap */
	/* khugepaged */
	if (op.op == "retract_page_tables") {
		std::uint64_t addr = need(op, "addr").number;
		VmaIdx v = w.findVma(addr);
		if (v == kNone || w.vmas[v].file == kNone)
			throw std::invalid_argument("retract_page_tables: addr is not in a file VMA");
		FileIdx file = w.vmas[v].file;
		/* linear_page_index() rounded down to HPAGE_PMD_NR (collapse_file's start) */
		std::uint64_t pgoff = w.vmas[v].pageIndex(addr) & ~(kPmdSize / kPageSize - 1);
		return [=](Kernel &k) {
			long r = retractPageTables(k, file, pgoff);
			k.world().results.push_back({k.self(), "retract_page_tables", r});
		};
	}
	if (op.op == "uffdio_copy") {
		std::uint64_t dst = need(op, "dst").number;
		const scenarios::OpArg *val = op.arg("value");
		std::uint64_t value = val ? val->number : w.nextWriteValue++;
		return [=](Kernel &k) {
			long r = uffdioCopy(k, dst, value);
			k.world().results.push_back({k.self(), "uffdio_copy", r});
		};
	}
	/* end khugepaged */
	throw std::invalid_argument("unknown op " + op.op);
}

} // namespace mmrace::model
