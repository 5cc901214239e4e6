// run.h — moved to src/app/run.h (kept so existing includes still work).
#pragma once
#include "app/run.h"
