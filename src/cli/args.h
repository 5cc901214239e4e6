// args.h — moved to src/app/args.h (kept so existing includes still work).
#pragma once
#include "app/args.h"
