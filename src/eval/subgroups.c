/* Distances on the maximal-subgroup graph of the 230 space-group types (undirected shortest paths). */
#include "xrdsym/xs_eval.h"
#include "eval/eval_internal.h"

#include <pthread.h>
#include <string.h>

#define NG 230

static signed char dist[NG + 1][NG + 1]; /* -1: unreachable (never, the graph is connected) */
static int diameter;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
    /* adjacency lists of the undirected graph */
    static short adj_start[NG + 2], adj[2 * 2048];
    int deg[NG + 2] = {0};
    size_t ne = xs_subgroup_edge_count;
    if (2 * ne > sizeof adj / sizeof adj[0]) ne = sizeof adj / sizeof adj[0] / 2; /* the table has 1,294 */
    for (size_t e = 0; e < ne; e++) {
        deg[xs_subgroup_edges[e].group]++;
        deg[xs_subgroup_edges[e].subgroup]++;
    }
    adj_start[1] = 0;
    for (int g = 1; g <= NG; g++) adj_start[g + 1] = (short)(adj_start[g] + deg[g]);
    int fill[NG + 2];
    for (int g = 1; g <= NG + 1; g++) fill[g] = adj_start[g];
    for (size_t e = 0; e < ne; e++) {
        int a = xs_subgroup_edges[e].group, b = xs_subgroup_edges[e].subgroup;
        adj[fill[a]++] = (short)b;
        adj[fill[b]++] = (short)a;
    }
    memset(dist, -1, sizeof dist);
    diameter = 0;
    for (int s = 1; s <= NG; s++) {
        int queue[NG], head = 0, tail = 0;
        dist[s][s] = 0;
        queue[tail++] = s;
        while (head < tail) {
            int g = queue[head++];
            for (int k = adj_start[g]; k < adj_start[g + 1]; k++) {
                int h = adj[k];
                if (dist[s][h] < 0) {
                    dist[s][h] = (signed char)(dist[s][g] + 1);
                    if (dist[s][h] > diameter) diameter = dist[s][h];
                    queue[tail++] = h;
                }
            }
        }
    }
}

int xs_eval_subgroup_distance(int a, int b)
{
    if (a < 1 || a > NG || b < 1 || b > NG) return -1;
    pthread_once(&once, build);
    return dist[a][b];
}

int xs_eval_subgroup_diameter(void)
{
    pthread_once(&once, build);
    return diameter;
}

int xs_eval_is_maximal_subgroup(int group, int subgroup)
{
    for (size_t e = 0; e < xs_subgroup_edge_count; e++)
        if (xs_subgroup_edges[e].group == group && xs_subgroup_edges[e].subgroup == subgroup) return 1;
    return 0;
}

size_t xs_eval_subgroup_edge_count(void) { return xs_subgroup_edge_count; }
