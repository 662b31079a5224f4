// The shared library's one function, exported although the library is built with hidden visibility.
#pragma once

__attribute__((visibility("default"))) int library_work(int n);
