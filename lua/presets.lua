-- lua/presets.lua - device presets for real drive classes.
--
-- Each preset is a function: presets.NAME(overrides) returns a device table
-- (model = "hdd" plus keys of the hdd parameter schema, see
-- `powercut list params`), with the keys of the optional `overrides` table
-- replacing the preset's. Unknown keys are reported by the simulator when the
-- scenario is resolved, with a did-you-mean hint.
--
--   local presets = require "presets"
--   device = presets.sata_7200 { cache_mb = 0 }   -- same drive, write cache off
--
-- The figures are typical of the drive class, taken from the ranges that
-- manufacturers' datasheets give for such drives; they are not the
-- measurements of one particular unit. Where a figure is a modelling choice
-- rather than a datasheet value, the comment says so.

local presets = {}

-- A copy of `base` with `overrides` applied; keys must be strings.
local function merge(name, base, overrides)
  if overrides ~= nil and type(overrides) ~= "table" then
    error(("presets.%s: expected a table of overrides, got %s"):format(name, type(overrides)), 3)
  end
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(overrides or {}) do
    if type(k) ~= "string" then
      error(("presets.%s: override keys must be parameter names, got %s %s")
            :format(name, type(k), tostring(k)), 3)
    end
    t[k] = v
  end
  return t
end

-- 3.5" 7200 rpm SATA desktop disk, 1 TB, 64 MiB cache.
local sata_7200 = {
  model = "hdd",
  capacity_gb = 1000,     -- 1 TB: common desktop capacity (e.g. WD Blue WD10EZEX, Seagate BarraCuda ST1000DM010 class)
  rpm = 7200,             -- datasheet spindle speed of the class
  cache_mb = 64,          -- typical 7200 rpm desktop drive datasheet, e.g. WD Blue WD10EZEX: 64 MB cache, 7200 rpm
  seek_track_ms = 0.8,    -- track-to-track: typical datasheet figure for the class (about 1 ms or less)
  seek_avg_ms = 8.5,      -- average read seek: typical desktop datasheet figure (8.5-9 ms)
  seek_full_ms = 16,      -- full stroke: typical figure for 3.5" desktop drives (about 15-20 ms)
  outer_mb_s = 190,       -- max sustained rate at the outer diameter: typical datasheet range 150-210 MB/s
  inner_mb_s = 95,        -- inner diameter: roughly half the outer rate (shorter tracks), typical of zone benchmarks
  zones = 16,             -- modelling choice: real drives have tens of zones; 16 steps approximate the curve
  iface_mb_s = 600,       -- SATA 6 Gb/s interface (SATA 3.x): 600 MB/s after 8b/10b encoding
  ncq_depth = 32,         -- SATA NCQ allows at most 32 outstanding commands
  cmd_overhead_us = 20,   -- modelling choice: controller overhead per command, order of tens of microseconds
  fua = true,             -- modern SATA drives accept FUA writes (WRITE FPDMA QUEUED with the FUA bit)
  atomic_bytes = 4096,    -- Advanced Format drives: 4 KiB physical sectors (512-byte logical emulation, "512e")
}

-- The same mechanics with a 32 MiB cache: the older or cheaper members of
-- the class (e.g. the Seagate Barracuda 7200.12 generation shipped 32 MB
-- caches). Only the cache differs, so comparisons isolate its size.
local sata_7200_32mb = merge("sata_7200_32mb", sata_7200, { cache_mb = 32 })

-- (Not tail calls: merge's errors blame the scenario line, two levels up.)
function presets.sata_7200(overrides)
  local t = merge("sata_7200", sata_7200, overrides)
  return t
end

function presets.sata_7200_32mb(overrides)
  local t = merge("sata_7200_32mb", sata_7200_32mb, overrides)
  return t
end

-- A misspelt preset name is an error that names it.
return setmetatable(presets, {
  __index = function(_, k)
    error(("presets: no preset named '%s'"):format(tostring(k)), 2)
  end,
})
