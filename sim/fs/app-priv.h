/* sim/fs/app-priv.h - the application workloads' private pieces. */
#pragma once
#include "app.h"

typedef struct RbThread RbThread;
void          rb_generate(const SimWorkloadCfg *cfg, guint thread, guint64 iteration, GArray *ops);
RbThread     *rb_new(SimFs *fs, const SimWorkloadCfg *cfg, guint thread, guint32 *dir_ino, guint32 *name);
void          rb_free(RbThread *t);
gboolean      rb_op_done(SimFs *fs, const SimWorkloadCfg *cfg, RbThread *t, const SimOp *op);
SimAppOutcome rb_judge(const SimWorkloadCfg *cfg, RbThread *t, guint32 dir_ino, guint32 name, SimFileReader rd,
                       gpointer ud, GString *why);
