-- tests/t-cli.sh: a scenario that fails while running (line 4 calls nil):
-- exit status 2, one line "powercut: FILE:4: ...".
local f = nil
f()
return { trials = 10, runs = 2, duration_s = 3 }
