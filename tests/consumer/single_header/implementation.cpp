// The one file of the program that compiles spanlog's implementation from the single header.
#define SPANLOG_IMPLEMENTATION
#include <spanlog.hpp>
