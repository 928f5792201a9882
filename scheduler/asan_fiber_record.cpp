/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sanitizer builds use Boost.Context's ucontext backend (BOOST_USE_UCONTEXT),
 * whose per-thread "current fiber" record lives in libboost_context, but
 * Debian's library is built for the fcontext backend and lacks it. Define it
 * here: a per-thread record for the thread's own (main) context, created on
 * first use.
 */
#include <boost/context/fiber.hpp>

namespace boost::context::detail {

namespace {
thread_local fiber_activation_record *currentRecord = nullptr;
thread_local std::size_t recordUsers = 0;
} // namespace

fiber_activation_record_initializer::fiber_activation_record_initializer() noexcept
{
	if (recordUsers++ == 0)
		currentRecord = new fiber_activation_record();
}

fiber_activation_record_initializer::~fiber_activation_record_initializer()
{
	if (--recordUsers == 0) {
		delete currentRecord;
		currentRecord = nullptr;
	}
}

fiber_activation_record *&fiber_activation_record::current() noexcept
{
	thread_local static fiber_activation_record_initializer initializer;
	return currentRecord;
}

} // namespace boost::context::detail
